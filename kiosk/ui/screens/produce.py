"""Produce lookup: a picture grid, search by name / pinyin initials / PLU, weigh and add."""

from __future__ import annotations

from pathlib import Path

from kivy.properties import BooleanProperty, StringProperty

from kiosk.lane_view import LaneSnapshot, WeightView
from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import TouchButton


class ProduceTileButton(TouchButton):
    """One produce item: its picture (or its first character), name and price."""

    item_id = StringProperty("")
    image = StringProperty("")
    initial = StringProperty("")
    caption = StringProperty("")  # the name: one line, shortened with … if too long
    price = StringProperty("")


def weight_text(weight: WeightView | None, locale: str) -> str:
    if weight is None or weight.grams is None:
        return tr(locale, "produce.no_weight")
    state = tr(locale, "produce.stable" if weight.sellable else "produce.unstable")
    return f"{tr(locale, 'produce.weight', kg=f'{weight.grams / 1000:.3f}')}  {state}"


def tile_data(snap: LaneSnapshot) -> list[dict[str, object]]:
    return [
        {
            "item_id": tile.item_id,
            "image": tile.image if tile.image and Path(tile.image).is_file() else "",
            "initial": tile.name[:1],
            "caption": tile.name,
            "price": tile.price,
            "text": "",
        }
        for tile in snap.produce
    ]


class ProduceScreen(KioskScreen):
    keyboard_open = BooleanProperty(False)

    def render(self, snap: LaneSnapshot) -> None:
        self.ids.grid.data = tile_data(snap)
        self.ids.weight.text = weight_text(snap.weight, snap.locale)
        self.ids.weight.stable = bool(snap.weight and snap.weight.sellable)
        self.ids.query.text = snap.produce_query or tr(snap.locale, "produce.search")
        self.ids.none.text = "" if snap.produce else tr(snap.locale, "produce.none")
