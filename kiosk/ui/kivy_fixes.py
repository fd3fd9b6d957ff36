"""Work-arounds for Kivy (2.3) bugs that matter to a kiosk left running for weeks.

Import only after `kiosk.ui.env.prepare_kivy`, like any Kivy module.

`fix_scrollview_bar_bindings`: `ScrollView.update_from_scroll` binds `bar_color` to
`_change_bar_color` on every call (`fbind` adds a binding, it never replaces one), and
`_bind_inactive_bar_color` removes one binding, once, half a second after the last
call. Each burst of N calls, as when a basket render moves the viewport, leaves N - 1
bindings on the widget for good: about 5 per transaction on the basket list
(`python -m bench.ui`), a bound method and a callback record each, without bound over
a kiosk's uptime. Unbinding first keeps at most one. Kivy's code is otherwise run as is.

`frame_waker`: lets a lane snapshot start the UI's next frame at once (Kivy's
`interrupt` clock without its busy loop); see its docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.uix.scrollview import ScrollView

_FIXED = "_kiosk_fixed"


def fix_scrollview_bar_bindings() -> None:
    """Patch `ScrollView.update_from_scroll` once per process (idempotent)."""
    original = ScrollView.update_from_scroll
    if getattr(original, _FIXED, False):
        return

    # Named as the method it replaces: Kivy's Clock triggers look the method up by name.
    def update_from_scroll(self: Any, *largs: Any) -> None:
        self.funbind("bar_color", self._change_bar_color)
        original(self, *largs)

    setattr(update_from_scroll, _FIXED, True)
    ScrollView.update_from_scroll = update_from_scroll


def _never_due() -> float:
    return float("inf")


def _no_wake(_event: Any) -> None:
    pass


def frame_waker() -> Callable[[], None]:
    """A function that, called from any thread, starts the UI's next frame now.

    Kivy's default clock sleeps between frames and cannot be woken, so a lane snapshot
    published just after a frame waits for the next 60 fps tick (up to 16.7 ms) before
    it is rendered and drawn. Its `interrupt` clock (set by `kiosk.ui.env.prepare_kivy`)
    sleeps on an event instead, but as shipped it cuts the sleep short for every
    zero-timeout event and skips it while one is pending: Kivy's scroll effects re-arm
    one each frame, so the UI loop ran flat out (1300 frames/s, measured) while a list
    settled. Here the clock keeps the 60 fps grid for everything (no event wakes it, no
    pending timeout skips the sleep) and only the returned function (the lane snapshot
    hand-over, `KioskApp.on_lane_snapshot`) wakes it. On any other clock: a no-op.
    """
    event = getattr(Clock, "_event", None)
    if event is None or not hasattr(Clock, "_get_min_timeout_func"):
        return lambda: None
    Clock.on_schedule = _no_wake
    Clock._get_min_timeout_func = _never_due
    wake: Callable[[], None] = event.set
    return wake
