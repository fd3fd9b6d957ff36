"""Work-arounds for Kivy bugs (kiosk/ui/kivy_fixes.py), checked on the real basket list."""

from __future__ import annotations

import pytest

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


def test_a_lane_snapshot_wakes_the_ui_clock_for_the_next_frame(kiosk: Kiosk) -> None:
    from kivy.clock import Clock  # noqa: PLC0415 - after prepare_kivy (conftest)

    ui = kiosk.ui
    ui.settle()
    event = Clock._event
    event.clear()
    kiosk.lane.scan(MILK)  # the lane publishes a snapshot from its worker thread
    assert kiosk.lane.flush(10)
    # The clock's sleep between frames waits on this event: set, the next frame starts
    # at once instead of at the next 60 fps tick.
    assert event.is_set()
    ui.settle()
    assert len(ui.snap.lines) == 1


def test_a_running_scroll_effect_does_not_cut_the_sleep_between_frames_short(
    kiosk: Kiosk,
) -> None:
    from kivy.clock import Clock  # noqa: PLC0415 - after prepare_kivy (conftest)

    ui = kiosk.ui
    ui.tap_id("start")
    for n in range(1, 9):
        kiosk.lane.scan(MILK if n % 2 else TOAST)
        ui.wait_for(lambda s, n=n: len(s.lines) == n)  # type: ignore[misc]
    Clock._event.clear()
    # A zero-timeout event as Kivy's scroll effects re-arm every frame: with Kivy's
    # stock `interrupt` clock it would skip the sleep and run frames flat out.
    Clock.schedule_once(lambda _dt: None, 0)
    assert not Clock._event.is_set()


def test_each_flip_waits_once_for_the_frame_however_many_apps_were_built(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy (conftest)

    from kiosk.ui import kivy_fixes  # noqa: PLC0415

    kiosk.ui.app.build()  # a second build, as each test's app (and a restarted UI) does
    finished: list[int] = []
    monkeypatch.setattr(kivy_fixes, "_gl_finish", lambda: finished.append(1))
    EventLoop.window.dispatch("on_flip")
    assert finished == [1]


def test_waiting_for_the_frame_lets_other_threads_run(kiosk: Kiosk) -> None:
    from kivy.graphics.opengl import glFinish  # noqa: PLC0415 - after prepare_kivy

    from kiosk.ui import kivy_fixes  # noqa: PLC0415

    # A ctypes foreign function (it releases the GIL around the call), not Kivy's
    # wrapper, which keeps the GIL while the driver draws.
    assert kivy_fixes._gl_finish is not glFinish
    assert getattr(kivy_fixes._gl_finish, "argtypes", None) == []
    kivy_fixes._gl_finish()  # callable on the UI thread, with the window's context
