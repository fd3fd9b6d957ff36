"""Work-arounds for Kivy bugs (kiosk/ui/kivy_fixes.py), checked on the real basket list."""

from __future__ import annotations

from kiosk.lane_view import Screen
from tests.ui.conftest import Kiosk

MILK = "6920101000010"
TOAST = "6920909000014"


def test_basket_list_keeps_one_scroll_bar_binding_however_often_it_renders(
    kiosk: Kiosk,
) -> None:
    ui = kiosk.ui
    ui.tap_id("start")
    for n in range(1, 13):
        kiosk.lane.scan(MILK if n % 2 else TOAST)
        ui.wait_for(lambda s, n=n: len(s.lines) == n)  # type: ignore[misc]
    assert ui.snap.screen is Screen.BASKET
    rv = ui.find("lines")
    handler = rv._change_bar_color
    bound = [
        cb
        for name in ("bar_color", "bar_inactive_color")
        for cb in rv.get_property_observers(name)
        if cb == handler
    ]
    # Kivy 2.3 adds one binding per viewport move and drops one per 0.5 s: a dozen
    # renders would leave a dozen; the fix keeps at most one at any time.
    assert len(bound) <= 1
