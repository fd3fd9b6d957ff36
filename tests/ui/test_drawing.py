"""What the UI draws, and when: every frame redraws the whole window (Kivy), so a
frame nobody needs, or something drawn that nobody sees, delays the next scan's row
on a software renderer (`python -m bench.ui`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kiosk.lane_view import Screen
from tests.ui.conftest import Kiosk

MILK = "6920101000010"
TOAST = "6920909000014"
BEER = "6920303000016"


@contextmanager
def counting_draws() -> Iterator[list[int]]:
    from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy (conftest)

    drawn = [0]

    def on_draw(_window: Any) -> None:
        drawn[0] += 1

    EventLoop.window.bind(on_draw=on_draw)
    try:
        yield drawn
    finally:
        EventLoop.window.unbind(on_draw=on_draw)


@pytest.mark.parametrize("lines", [2, 8], ids=["shorter-than-the-list", "scrolled"])
def test_a_basket_that_shows_its_newest_line_draws_no_more_frames(kiosk: Kiosk, lines: int) -> None:
    ui = kiosk.ui
    ui.tap_id("start")
    for n in range(1, lines + 1):
        kiosk.lane.scan(MILK if n % 2 else TOAST)
        ui.wait_for(lambda s, n=n: len(s.lines) == n)  # type: ignore[misc]
    with counting_draws() as drawn:
        # 75 frames at 60 fps: past the half second after which Kivy fades the bar.
        ui.frames(75)
    assert drawn[0] == 0


def test_the_hidden_attendant_overlay_is_not_drawn(kiosk: Kiosk) -> None:
    ui = kiosk.ui
    assert ui.root is not None
    overlay = ui.root.ids.overlay
    ui.tap_id("start")
    assert not overlay.shown
    assert overlay.children == []  # nothing of it in the widget tree, hence on screen
    kiosk.lane.scan(BEER)
    ui.settle()
    assert overlay.shown
    assert overlay.ids.pinpad in list(ui.root.walk())
    ui.type_pin("1234", overlay.ids.pinpad)
    assert not overlay.shown
    assert overlay.children == []
    assert ui.snap.screen is Screen.BASKET


def test_only_the_newest_basket_row_draws_a_background(kiosk: Kiosk) -> None:
    from kivy.graphics import Rectangle  # noqa: PLC0415 - after prepare_kivy (conftest)

    ui = kiosk.ui
    ui.tap_id("start")
    for n in range(1, 4):
        kiosk.lane.scan(MILK if n % 2 else TOAST)
        ui.wait_for(lambda s, n=n: len(s.lines) == n)  # type: ignore[misc]
    views = ui.find("lines").layout_manager.children
    assert len(views) == 3

    def background_area(view: Any) -> float:
        (rect,) = [i for i in view.canvas.before.children if isinstance(i, Rectangle)]
        return float(rect.size[0] * rect.size[1])

    areas = {view.line_id: background_area(view) for view in views}
    newest = ui.snap.last_line_id
    assert areas.pop(newest) > 0
    assert set(areas.values()) == {0.0}
