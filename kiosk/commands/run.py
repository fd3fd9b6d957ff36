"""`kiosk run [--config FILE] [--simulate]`: the kiosk's touch UI (SPEC section 10).

Without `--config` it runs the demo store (seeded in `--data-dir`); with it, the
store's kiosk: its attendants, payment providers and devices, as the config names them.

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
from typing import TYPE_CHECKING, TextIO

from kiosk.errors import KioskError
from kiosk.ui.env import SMALL, DisplayProfile, has_display, prepare_kivy

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

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


def _store_config(args: argparse.Namespace, data_dir: Path | None) -> KioskConfig:
    """The store's config (`--config`), or the demo store seeded in `data_dir`."""
    from kiosk.app import seed_demo_store  # noqa: PLC0415
    from kiosk.config import load_config  # noqa: PLC0415
    from kiosk.lane_setup import ATTENDANTS_FILE  # noqa: PLC0415
    from kiosk.security.attendants import seed_demo_attendants  # noqa: PLC0415

    if args.config:
        return load_config(Path(args.config), data_dir=data_dir)
    assert data_dir is not None
    config = seed_demo_store(data_dir)
    seed_demo_attendants(data_dir / ATTENDANTS_FILE)
    return config


def _run_windowed(args: argparse.Namespace, profile: DisplayProfile, data_dir: Path | None) -> int:
    config = _store_config(args, data_dir)
    prepare_kivy(
        headless=False,
        profile=profile,
        home=config.paths.data_dir / "kivy",
        fullscreen=args.fullscreen,
    )
    from kiosk.device_manager import DeviceManager  # noqa: PLC0415
    from kiosk.lane_devices import DeviceFeed, ManagedDevices  # noqa: PLC0415
    from kiosk.lane_setup import kiosk_lane  # noqa: PLC0415
    from kiosk.ui.app import KioskApp  # noqa: PLC0415
    from kiosk.ui.fonts import find_cjk_font  # noqa: PLC0415

    manager = DeviceManager(config.devices, simulate=args.simulate).start()
    try:
        kiosk = kiosk_lane(config, devices=ManagedDevices(manager), simulate_payments=args.simulate)
    except BaseException:
        manager.stop()
        raise
    feed = DeviceFeed(manager.scans, manager.weights, kiosk.lane.scan, kiosk.lane.feed_weight)
    app = KioskApp(kiosk.lane, profile, find_cjk_font())
    kiosk.lane.on_snapshot = app.on_lane_snapshot
    if args.simulate:
        _start_console(manager, sys.stdin, kiosk.lane)
    try:
        kiosk.lane.start()
        feed.start()
        app.run()
    finally:
        feed.stop()
        kiosk.close()
        manager.stop()
    return 0


_CONSOLE_COMMANDS = "scan CODE | weigh GRAMS | status | screenshot PATH.png | quit | help"
_MAX_GRAMS = 1_000_000  # well past any produce scale's capacity, so overload can be tried


def _console_command(raw: str) -> tuple[str, str]:
    """`(command, argument)` for one console line; ValueError with a one-line reason."""
    words = raw.split()
    if not words:
        raise ValueError("console: empty line; commands: " + _CONSOLE_COMMANDS)
    name, args = words[0], words[1:]
    takes = {"scan": "CODE", "weigh": "GRAMS", "screenshot": "PATH.png"}
    if name in ("status", "quit", "help"):
        if args:
            raise ValueError(f"{name}: takes no argument, got {' '.join(args)!r}")
        return name, ""
    if name not in takes:
        raise ValueError(f"{name}: unknown command; commands: {_CONSOLE_COMMANDS}")
    if len(args) != 1:
        raise ValueError(f"{name}: expected one {takes[name]}, got {len(args)} words")
    arg = args[0]
    if name == "weigh" and not (arg.isascii() and arg.isdigit() and int(arg) <= _MAX_GRAMS):
        raise ValueError(f"weigh: GRAMS must be a whole number 0..{_MAX_GRAMS}, got {arg!r}")
    if name == "screenshot" and not arg.lower().endswith(".png"):
        raise ValueError(f"screenshot: PATH must end in .png, got {arg!r}")
    return name, arg


def _start_console(manager: object, stream: TextIO, lane: object) -> None:
    """A console on `stream` (stdin) for trying the simulated kiosk by hand or from a test.

    `scan CODE` and `weigh GRAMS` feed the simulated scanner and produce scale; `status`
    prints the lane's latest screen and basket total; `screenshot PATH.png` saves the
    window as drawn; `quit` stops the app; `help` lists them. Every reply is one line on
    stdout, flushed, starting with the command's name (`console:` for the console's own).
    The banner is printed once the UI's event loop runs.

    End of input (EOF) ends the console only: a kiosk runs without a terminal, so a closed
    or absent stdin must never stop it. Close the window or type `quit` to stop.
    """
    from kivy.app import App  # noqa: PLC0415 - Kivy after prepare_kivy
    from kivy.clock import Clock  # noqa: PLC0415

    from drivers.scale.sim import ScaleModel  # noqa: PLC0415
    from kiosk.device_manager import DeviceManager  # noqa: PLC0415
    from kiosk.lane import Lane  # noqa: PLC0415

    assert isinstance(manager, DeviceManager)
    assert isinstance(lane, Lane)
    write_lock = threading.Lock()  # replies come from this thread and from the UI thread

    def reply(line: str) -> None:
        with write_lock:
            print(line, flush=True)

    def status() -> str:
        snap = lane.snapshot()
        if snap is None:
            return "status: the lane has published no snapshot yet"
        app = App.get_running_app()
        rendered = getattr(app, "rendered", None)
        shown = rendered.screen.value if rendered is not None else "-"
        return (
            f"status: screen={snap.screen.value} shown={shown} items={snap.item_count}"
            f" total={snap.total or '-'} total_minor={snap.total_minor}"
        )

    def weigh(grams: int) -> str:
        sim = manager.simulator("produce_scale")
        model = getattr(sim, "model", None)
        if not isinstance(model, ScaleModel):
            return "weigh: the produce_scale is not simulated"
        model.place(grams, settle_steps=3)
        return f"weigh: {grams} g on the produce_scale (settles after 3 readings)"

    def screenshot(target: Path) -> None:
        # Runs on the UI thread. The window is read in its next on_flip, after the frame is
        # drawn and before the buffers swap: between frames the back buffer is undefined.
        from kivy.core.window import Window  # noqa: PLC0415

        def on_flip(*_: object) -> None:
            Window.unbind(on_flip=on_flip)
            width, height = Window.size
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                # Window.screenshot numbers its files (NAME0001.png): write beside, rename.
                written = Window.screenshot(name=str(target.with_name(f".{target.stem}.png")))
                if written is None:
                    reply(f"screenshot: {target}: the window gave no image")
                    return
                Path(written).replace(target)
            except OSError as exc:
                reply(f"screenshot: {target}: {exc.strerror or exc}")
                return
            reply(f"screenshot: wrote {target} ({width}x{height})")

        Window.bind(on_flip=on_flip)
        Window.canvas.ask_update()

    def stop_app() -> None:  # UI thread: Kivy's App.stop is not thread-safe
        app = App.get_running_app()
        if app is not None:
            app.stop()

    def run_command(name: str, arg: str) -> None:
        if name == "scan":
            sent = manager.simulate_scan("main_scanner", arg)
            reply(f"scan: {arg}" if sent else "scan: the main_scanner is not simulated")
        elif name == "weigh":
            reply(weigh(int(arg)))
        elif name == "status":
            reply(status())
        elif name == "screenshot":
            target = Path(arg).resolve()
            Clock.schedule_once(lambda _dt: screenshot(target))
        else:
            reply(f"help: {_CONSOLE_COMMANDS}")

    def loop() -> None:
        reply(f"simulator console: {_CONSOLE_COMMANDS}")
        for raw in stream:
            if not raw.strip():
                continue
            try:
                name, arg = _console_command(raw)
            except ValueError as exc:
                reply(str(exc))
                continue
            if name == "quit":
                reply("quit: stopping the kiosk")
                Clock.schedule_once(lambda _dt: stop_app())
                return  # stop reading: nothing may hold stdin while the process exits
            try:
                run_command(name, arg)
            except Exception as exc:  # a console mistake must not end the console
                log.exception("console command failed", extra={"command": name})
                reply(f"{name}: failed: {' '.join(str(exc).split()) or type(exc).__name__}")
        reply("console: end of input; the kiosk keeps running (close its window to stop)")

    # A daemon thread: stdin cannot be interrupted, and it must not keep the UI alive.
    # Started from the event loop, so the banner means the window is up.
    thread = threading.Thread(target=loop, name="sim-console", daemon=True)
    Clock.schedule_once(lambda _dt: thread.start())


def run(args: argparse.Namespace) -> int:
    try:
        profile = DisplayProfile.parse(args.display)
    except ValueError as exc:
        print(f"kiosk run: {exc}", file=sys.stderr)
        return 2
    if args.config and (args.offscreen or not has_display()):
        print(
            "kiosk run: --config runs the store's kiosk, which needs a display"
            " (DISPLAY/WAYLAND_DISPLAY, or SDL_VIDEODRIVER=kmsdrm on the device)",
            file=sys.stderr,
        )
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
    try:
        if args.config:
            return _run_windowed(args, profile, Path(args.data_dir) if args.data_dir else None)
        with _data_dir(args.data_dir) as data_dir:
            return _run_windowed(args, profile, data_dir)
    except KioskError as exc:
        print(f"kiosk run: {exc}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="the kiosk touch UI (real or simulated devices)")
    parser.add_argument(
        "--simulate", action="store_true", help="simulate every device; type scans on stdin"
    )
    parser.add_argument(
        "--config", help="the store's kiosk config (default: the demo store, seeded)"
    )
    parser.add_argument(
        "--data-dir",
        help="data directory (demo: seeded if new, default a temp dir;"
        " with --config: overrides the config's)",
    )
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
