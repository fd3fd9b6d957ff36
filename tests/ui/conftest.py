"""Kivy UI tests: one offscreen window per test session (SDL offscreen + Mesa EGL).

Kivy creates its window once per process, so the session fixture prepares Kivy before
any Kivy import; each test gets a fresh demo store, lane and app on that window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.ui.env import SMALL, DisplayProfile, prepare_kivy

NOW = datetime(2026, 11, 27, 11, 0).astimezone()


@pytest.fixture(scope="session")
def kivy_window(tmp_path_factory: pytest.TempPathFactory) -> None:
    prepare_kivy(headless=True, profile=SMALL, home=tmp_path_factory.mktemp("kivy-home"))
    from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy

    EventLoop.ensure_window()


class Kiosk:
    """A demo lane and its UI on the window."""

    def __init__(self, data_dir: Path, profile: DisplayProfile, **devices: bool) -> None:
        from kiosk.lane_devices import MemoryDevices  # noqa: PLC0415
        from kiosk.lane_setup import demo_lane  # noqa: PLC0415
        from kiosk.ui.driver import UiDriver  # noqa: PLC0415

        self.devices = MemoryDevices(**devices)
        self.demo = demo_lane(data_dir, devices=self.devices, clock=lambda: NOW)
        self.lane = self.demo.lane
        self.ui = UiDriver(self.lane, profile)

    def start(self) -> Kiosk:
        self.ui.start()
        return self

    def close(self) -> None:
        self.ui.close()
        self.demo.close()


@pytest.fixture
def kiosk(kivy_window: None, tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path / "store", SMALL).start()
    yield k
    k.close()
