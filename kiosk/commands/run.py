"""`kiosk run [--simulate]`: the kiosk's touch UI (SPEC section 10).

With a display (X11, Wayland, or SDL's KMS driver on a kiosk) it opens the UI; with
`--simulate` every device is an in-repo simulator and scans and weights can be typed
on the terminal (`scan 6920101000010`, `weigh 1250`, `help`). Without a display it
says so in one line and runs the same app offscreen through the scripted journey,
writing a screenshot of every screen in both languages.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from kiosk.ui.env import SMALL, DisplayProfile, has_display, prepare_kivy

log = logging.getLogger(__name__)

DEFAULT_SHOTS = "kiosk-screenshots"


@contextmanager
def _data_dir(given: str | None) -> Iterator[Path]:
    if given:
        yield Path(given)
        return
    with tempfile.TemporaryDirectory(prefix="kiosk-run-") as tmp:
        yield Path(tmp)


def write_screenshots(out_dir: Path, profile: DisplayProfile = SMALL) -> list[Path]:
    """Run the scripted journey offscreen on a fresh demo store; PNGs of every screen."""
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        prepare_kivy(headless=True, profile=profile, home=Path(tmp) / "kivy")
        from kiosk.lane_setup import demo_lane  # noqa: PLC0415 - Kivy after prepare_kivy
        from kiosk.ui.driver import UiDriver  # noqa: PLC0415
        from kiosk.ui.journey import run_journey  # noqa: PLC0415

        demo = demo_lane(Path(tmp) / "store")
        driver = UiDriver(demo.lane, profile)
        try:
            driver.start()
            return run_journey(driver, demo, out_dir)
        finally:
            driver.close()
            demo.close()


def _run_windowed(args: argparse.Namespace, profile: DisplayProfile, data_dir: Path) -> int:
    prepare_kivy(
        headless=False, profile=profile, home=data_dir / "kivy", fullscreen=args.fullscreen
    )
    from kiosk.app import seed_demo_store  # noqa: PLC0415
    from kiosk.device_manager import DeviceManager  # noqa: PLC0415
    from kiosk.lane_devices import DeviceFeed, ManagedDevices  # noqa: PLC0415
    from kiosk.lane_setup import demo_lane  # noqa: PLC0415
    from kiosk.ui.app import KioskApp  # noqa: PLC0415
    from kiosk.ui.fonts import find_cjk_font  # noqa: PLC0415

    config = seed_demo_store(data_dir)
    manager = DeviceManager(config.devices, simulate=args.simulate).start()
    devices = ManagedDevices(manager)
    demo = demo_lane(data_dir, devices=devices)
    feed = DeviceFeed(manager.scans, manager.weights, demo.lane.scan, demo.lane.feed_weight)
    app = KioskApp(demo.lane, profile, find_cjk_font())
    demo.lane.on_snapshot = app.on_lane_snapshot
    if args.simulate:
        _start_console(manager, sys.stdin)
    try:
        demo.lane.start()
        feed.start()
        app.run()
    finally:
        feed.stop()
        demo.close()
        manager.stop()
    return 0


def _start_console(manager: object, stream: TextIO) -> None:
    """Type `scan CODE` / `weigh GRAMS` to feed the simulated scanner and produce scale."""
    from kiosk.device_manager import DeviceManager  # noqa: PLC0415

    assert isinstance(manager, DeviceManager)

    def loop() -> None:
        print("simulator console: scan CODE | weigh GRAMS | help", flush=True)
        for raw in stream:
            words = raw.split()
            if len(words) == 2 and words[0] == "scan":
                manager.simulate_scan("main_scanner", words[1])
            elif len(words) == 2 and words[0] == "weigh" and words[1].isdigit():
                sim = manager.simulator("produce_scale")
                model = getattr(sim, "model", None)
                if model is not None:
                    model.place(int(words[1]), settle_steps=3)
            else:
                print("scan CODE | weigh GRAMS", flush=True)

    # A daemon thread: stdin cannot be interrupted, and it must not keep the UI alive.
    threading.Thread(target=loop, name="sim-console", daemon=True).start()


def run(args: argparse.Namespace) -> int:
    try:
        profile = DisplayProfile.parse(args.display)
    except ValueError as exc:
        print(f"kiosk run: {exc}", file=sys.stderr)
        return 2
    if args.offscreen or not has_display():
        out = Path(args.screenshots or DEFAULT_SHOTS)
        print(
            "kiosk run: no display (DISPLAY/WAYLAND_DISPLAY unset): running the scripted"
            f" journey offscreen, screenshots in {out}/",
            flush=True,
        )
        shots = write_screenshots(out, profile)
        print(f"kiosk run: {len(shots)} screenshots written to {out}/", flush=True)
        return 0
    with _data_dir(args.data_dir) as data_dir:
        return _run_windowed(args, profile, data_dir)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="the kiosk touch UI (real or simulated devices)")
    parser.add_argument(
        "--simulate", action="store_true", help="simulate every device; type scans on stdin"
    )
    parser.add_argument("--data-dir", help="store directory (seeded if new; default: temp)")
    parser.add_argument(
        "--display", default="800x480@7", help="screen WIDTHxHEIGHT@INCHES (sets touch sizes)"
    )
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument(
        "--offscreen", action="store_true", help="run the scripted journey offscreen"
    )
    parser.add_argument(
        "--screenshots", help=f"where the offscreen journey writes PNGs (default {DEFAULT_SHOTS})"
    )
    parser.set_defaults(func=run)
