"""Basket: lines with quantities, weights, discounts and savings; totals; the way to pay."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView

from kiosk.lane_view import LaneSnapshot, LineView
from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import KioskScreen


class BasketLineRow(BoxLayout):
    """One basket line (a RecycleView row); its remove button asks for an attendant."""

    line_id = StringProperty("")
    name = StringProperty("")
    detail = StringProperty("")
    discounts = StringProperty("")
    amount = StringProperty("")
    remove_text = StringProperty("")
    highlight = BooleanProperty(False)


class BasketList(RecycleView):
    """The basket's rows: a list that, once it has moved to the newest row, stops drawing.

    On a software renderer every frame redraws the whole window (10-15 ms of Mesa
    llvmpipe), and a scan that arrives while one is being drawn waits for it
    (`python -m bench.ui`). Kivy's list kept drawing after each scan: its default
    bouncing scroll effect re-armed itself every frame while the rows were shorter
    than the list (`effect_cls` is the plain `ScrollEffect` in basket.kv), and half a
    second after each scroll its scroll bar fades for another half second. Here the bar
    keeps its colour: it shows there is more to scroll, and it does not animate.
    """

    def show_newest(self, rows: int) -> None:
        """Scroll to the newest (last) row once the rows overflow the list; until then
        the rows start at the top. (Left at the bottom, a short list sank to the bottom
        of the screen after the attendant overlay closed: rows under empty space.)"""
        row_height = self.layout_manager.default_size[1]
        self.scroll_y = 0 if rows * row_height > self.height else 1

    def _bind_inactive_bar_color(self, *_args: Any) -> None:
        # Replaces Kivy 2.3's ScrollView method (scheduled by `update_from_scroll`),
        # which starts the fade `Animation` of `_bar_color` to `bar_inactive_color`.
        pass


def line_detail(line: LineView, locale: str) -> str:
    if line.weight_g is not None:
        kg = f"{line.weight_g / 1000:.3f}"  # display only; money is never computed here
        return f"{tr(locale, 'basket.weight', kg=kg)} {line.unit_price}"
    return f"{tr(locale, 'basket.qty', qty=line.quantity)} {line.unit_price}"


def row_data(snap: LaneSnapshot) -> list[dict[str, object]]:
    """One row per basket line in scan order (the newest last, highlighted).

    Newest last, not first: a scan then appends one row, and the RecycleView keeps every
    other row's view and label textures; with the newest on top every scan shifted all
    rows down and re-rasterised the text of every visible row (`python -m bench.ui`).
    """
    remove = tr(snap.locale, "basket.remove")
    return [
        {
            "line_id": line.line_id,
            "name": line.name,
            "detail": line_detail(line, snap.locale),
            "discounts": "  ".join(f"{d.label} -{d.amount}" for d in line.discounts),
            "amount": line.amount,
            "remove_text": remove,
            "highlight": line.line_id == snap.last_line_id,
        }
        for line in snap.lines
    ]


class BasketScreen(KioskScreen):
    def render(self, snap: LaneSnapshot) -> None:
        lines: BasketList = self.ids.lines
        lines.data = row_data(snap)
        lines.show_newest(len(snap.lines))  # where the shopper looks
