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

`finish_each_frame`: no frame queued behind another in the GL driver; see its docstring.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.graphics.opengl import glFinish
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


_finishing: list[Any] = []  # the window `finish_each_frame` is bound to (one per process)


def _gil_free_gl_finish() -> Callable[[], None]:
    """`glFinish` through ctypes, which lets other Python threads run while it waits.

    Kivy's own `glFinish` keeps the GIL for the whole wait (10-15 ms a frame on llvmpipe):
    the lane's thread, turning the next scan into a snapshot, would stall behind it.
    The GL libraries (glvnd's libGL / libOpenGL / libGLESv2, Mesa's) send the call to
    the calling thread's current context; without any of them, Kivy's is used.
    """
    for name in ("GL", "OpenGL", "GLESv2"):
        path = ctypes.util.find_library(name)
        if not path:
            continue
        try:
            function = ctypes.CDLL(path).glFinish
        except (OSError, AttributeError):
            continue
        function.argtypes = []
        function.restype = None
        finish: Callable[[], None] = function
        return finish
    return glFinish  # type: ignore[no-any-return]


_gl_finish = _gil_free_gl_finish()


def _finish_frame(*_args: Any) -> None:
    _gl_finish()


def finish_each_frame(window: Any) -> None:
    """Wait, after each flip, until the GL driver has drawn the frame (idempotent).

    Kivy hands a frame to GL and goes on; when the driver draws slower than the frame
    rate (Mesa's llvmpipe, ~10-15 ms a frame on two cores shared with the lane), frames
    queue up behind each other. The frame that shows a scan then waits for every queued
    one, and a label whose text changed waits for them too before its texture can be
    rewritten (`glTexSubImage2D` on a texture an unfinished frame still reads): 50-200
    ms on the first row of a basket (`python -m bench.ui`). With no frame left in flight,
    a scan's frame starts on an idle driver. The UI thread has nothing else to do
    between frames (they are capped at 60 fps), so it loses nothing by waiting.
    """
    if _finishing and _finishing[0] is window:
        return
    if _finishing:
        _finishing[0].unbind(on_flip=_finish_frame)
        _finishing.clear()
    window.bind(on_flip=_finish_frame)
    _finishing.append(window)
