"""Work-arounds for Kivy (2.3) bugs that matter to a kiosk left running for weeks.

Import only after `kiosk.ui.env.prepare_kivy`, like any Kivy module.

`fix_scrollview_bar_bindings`: `ScrollView.update_from_scroll` binds `bar_color` to
`_change_bar_color` on every call (`fbind` adds a binding, it never replaces one), and
`_bind_inactive_bar_color` removes one binding, once, half a second after the last
call. Each burst of N calls, as when a basket render moves the viewport, leaves N - 1
bindings on the widget for good: about 5 per transaction on the basket list
(`python -m bench.ui`), a bound method and a callback record each, without bound over
a kiosk's uptime. Unbinding first keeps at most one. Kivy's code is otherwise run as is.
"""

from __future__ import annotations

from typing import Any

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
