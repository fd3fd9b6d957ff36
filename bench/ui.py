"""Touch UI benchmarks: `python -m bench.ui [--quick]` prints one JSON object.

Everything runs offscreen (SDL's `offscreen` video driver with Mesa EGL, the same GL
path as the tests; `gl_renderer` names it, llvmpipe on a machine without a GPU), needs
no display, and is bounded in count and time. The UI is the 800x480 7" profile unless
`--display` says otherwise. The demo store is seeded once by a child process, as a
store's installer does, so the kiosk processes start on an existing store. Measured:

- cold_start_s: from the parent's `Popen` of a fresh Python process running the real
  `kiosk run --simulate` path (CLI, simulated devices and payment terminals, demo lane,
  `KioskApp.run()`; the one change: the run command is told SDL's offscreen driver is
  a display) until the first frame that shows a lane snapshot (the attract screen) is
  flipped. The child prints `time.time()` from the window's `on_flip`, then stops its
  app and exits cleanly. One uncounted start first warms the OS page cache and the
  bytecode caches, so "cold" means a fresh process, not a cold disk. Repeated 5 times
  (--quick 2); the goal (<= 3 s) is judged on the WORST run (`cold_start_s` is the
  max; the median is `cold_start_median_s`). `cold_start_phases_s` splits the median
  run: interpreter up to `bench.ui` code, CLI built and Kivy prepared, first frame
  flipped (possibly before the lane published), first frame with the attract screen.
- scan_to_line_drawn_p99_ms: a `drivers.scanner.Scan` put on the scan queue that the
  device manager's drivers fill (`DeviceFeed` carries it to `Lane.scan`, as in
  `kiosk run`), at a random phase of the UI's 60 fps frame (a separate "scanner"
  thread injects it while the UI thread runs frames), until the frame whose basket
  list holds that line's row (its labels' textures current) is finished: checked in
  the window's `on_flip`, then `glFinish()`, since a flip only queues the frame.
  500 scans (--quick 100) in baskets of 25, each basket paid by card through the UI.
  Split into scan -> lane snapshot published (`scan_to_snapshot_*`: feed, journal
  commit, pricing) and published -> drawn (`snapshot_to_drawn_*`: waiting for the next
  frame, render, layout, draw); `render_p99_ms` is `KioskApp.render` alone and
  `line_frame_draw_*` the drawing of that one frame (window `on_draw` to `glFinish`).
- rss_mb, rss_growth_500_tx_pct: one process (this one) runs 500 complete transactions
  through the UI (tap start, three scans through the scan queue, tap pay, card / WeChat
  Pay / Alipay in turn, QR payment codes scanned like items, receipt, tap done, back to
  attract). RSS from /proc/self/statm after `gc.collect()`, after 50 warm-up
  transactions and after the last; growth = (end - start) / start * 100, with the
  trend between (`rss_trend_mb`) and the Python object types that grew most
  (`objects_grown_top`). `rss_mb` is RSS after the last transaction, `rss_peak_mb` the
  process's peak, `rss_stages_mb` RSS before Kivy, with the window, with the lane
  built and with the UI started; `rss_gl_driver_libs_mb` is the part held by the GL
  driver's libraries (llvmpipe maps LLVM; a GPU driver does not). --quick runs 100
  transactions (warm-up 20): then `rss_growth_500_tx_pct` is null and `rss_growth_pct`
  says what was measured. The printer keeps no receipts (`_NullPrinter`), so the bench
  adds nothing that grows per transaction. The measured process is the kiosk alone: the
  demo store's ZVT terminal and WeChat Pay / Alipay simulators run in a child process
  (`PaymentSimulatorProcess`), and the lane reaches them over loopback through a
  `[payment]` section naming their URLs and a credentials file, as a store kiosk
  reaches its terminal and provider (the real clients, every protocol byte). Everything
  the kiosk process maps counts, the GL driver included.
- rss_reference_mb, rss_over_reference_mb: the same stack with no kiosk (a fresh
  process on the same Python, Kivy, SDL driver, GL driver, display and CJK font showing
  a window of 10 labels and 10 buttons for 30 frames) and what the kiosk adds to it.
  The GL driver's part differs most between machines (llvmpipe's here, a GPU driver's on
  a kiosk), so the kiosk's own memory is best read as the difference.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import queue
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench.stats import percentile_ms
from drivers.scale import Weight
from drivers.scanner import Scan
from kiosk.lane_view import DeviceView, LaneSnapshot, Screen
from kiosk.ui.env import DisplayProfile, prepare_kivy

ROOT = Path(__file__).resolve().parent.parent
FIRST_FRAME = "bench-ui-first-frame "
SIMULATORS_READY = "bench-ui-simulators "
WECHAT_CODE = "134567890123456789"  # `1[0-5]` + 16 digits (kiosk.domain.barcodes.codes)
ALIPAY_CODE = "281234567890123456"  # `2[5-9]` + 16 digits
PAYMENT_CODES = {"wechat": WECHAT_CODE, "alipay": ALIPAY_CODE}
METHODS = ("card", "wechat", "alipay")
FRAME_S = 1 / 60  # Kivy's default frame cap (graphics.maxfps = 60)
MAX_FRAMES_PER_SCAN = 600  # 10 s at 60 fps: a scan never drawn fails the bench


class BenchError(RuntimeError):
    """The UI did not do what the bench drove it to do; the figures would be meaningless."""


# A child process reports to this one in a line of its standard output: a marker, then JSON.
def _report(marker: str, figures: object) -> None:
    print(marker + json.dumps(figures), flush=True)


def _reported(marker: str, output: str) -> Any:
    """The JSON of the last line of `output` that starts with `marker`, or None."""
    found = None
    for line in output.splitlines():
        if line.startswith(marker):
            found = json.loads(line[len(marker) :])
    return found


def _offscreen_env() -> dict[str, str]:
    """The environment of a child that opens a Kivy window: SDL's offscreen driver."""
    return dict(os.environ, SDL_VIDEODRIVER="offscreen")


# ---------------------------------------------------------------- cold start


def cold_start(runs: int, display: str, store: Path, *, timeout_s: float = 60.0) -> dict[str, Any]:
    """Start the kiosk on (a copy of) `store` `runs` times in fresh processes, after one
    uncounted warm-up start."""
    results: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ui-start-") as tmp:
        data_dir = _copy_store(store, Path(tmp) / "store")
        for i in range(runs + 1):
            run = _start_once(data_dir, display, timeout_s)
            if i:  # the first run warms the page cache and bytecode caches
                results.append(run)
    totals = [r["first_screen"] for r in results]
    median_run = sorted(results, key=lambda r: r["first_screen"])[len(results) // 2]
    return {
        "cold_start_s": round(max(totals), 3),
        "cold_start_median_s": round(statistics.median(totals), 3),
        "cold_start_runs": len(totals),
        "cold_start_phases_s": {k: round(v, 3) for k, v in median_run.items()},
    }


def _start_once(data_dir: Path, display: str, timeout_s: float) -> dict[str, float]:
    env = _offscreen_env()
    cmd = [sys.executable, "-m", "bench.ui", "--child-cold-start", str(data_dir)]
    cmd += ["--display", display, "--child-limit", str(timeout_s / 2)]
    with tempfile.TemporaryFile() as err:
        start = time.time()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
        )
        try:
            out, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise BenchError(f"kiosk start did not finish within {timeout_s} s") from None
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    marks = _reported(FIRST_FRAME, out.decode("utf-8", "replace"))
    if proc.returncode != 0 or marks is None:
        raise BenchError(
            f"kiosk start exited {proc.returncode} without a first frame: {stderr[-2000:]}"
        )
    return {k: float(v) - start for k, v in marks.items()}


def _cold_start_child(data_dir: Path, display: str, limit_s: float) -> int:
    """The child: `kiosk run --simulate` with a first-frame hook; exits after that frame."""
    entered = time.time()
    import kiosk.commands.run as run_command  # noqa: PLC0415 - timed from here
    from kiosk.cli import main as kiosk_main  # noqa: PLC0415

    names: dict[str, Any] = vars(run_command)
    real_prepare = names["prepare_kivy"]

    def prepare_and_hook(**kwargs: Any) -> None:
        real_prepare(**kwargs)
        _hook_first_frame({"python_ready": entered, "kivy_prepared": time.time()}, limit_s)

    # SDL's offscreen driver is this bench's display: take the windowed path, not the
    # scripted journey `kiosk run` falls back to without a display.
    names["prepare_kivy"] = prepare_and_hook
    names["has_display"] = lambda: True
    return kiosk_main(["run", "--simulate", "--data-dir", str(data_dir), "--display", display])


def _hook_first_frame(marks: dict[str, float], limit_s: float) -> None:
    """On the first frame showing a lane snapshot, print the marks and stop the app."""
    from kivy.app import App  # noqa: PLC0415 - only after prepare_kivy
    from kivy.base import EventLoop  # noqa: PLC0415
    from kivy.clock import Clock  # noqa: PLC0415

    def on_flip(window: Any) -> None:
        now = time.time()
        marks.setdefault("first_flip", now)
        app = App.get_running_app()
        if app is None or getattr(app, "rendered", None) is None:
            return
        marks["first_screen"] = now
        window.unbind(on_flip=on_flip)
        _report(FIRST_FRAME, marks)
        app.stop()

    def attach(_dt: float) -> bool:
        if EventLoop.window is None:
            return True
        EventLoop.window.bind(on_flip=on_flip)
        return False

    def give_up(_dt: float) -> None:
        app = App.get_running_app()
        if app is not None:
            app.stop()

    Clock.schedule_interval(attach, 0)
    Clock.schedule_once(give_up, limit_s)


# ---------------------------------------------------------------- in-process kiosk


class _NullPrinter:
    """`LaneDevices` whose printer prints everything and keeps nothing (counts jobs)."""

    def __init__(self) -> None:
        self.jobs = 0

    def printer_ready(self) -> bool:
        return True

    def print_receipt(self, data: bytes, job_id: str) -> bool:
        self.jobs += 1
        return True

    def health(self) -> tuple[DeviceView, ...]:
        return (DeviceView("receipt_printer", "running", True, True, ""),)

    def scanners_enabled(self, enabled: bool) -> None:
        pass


def sellable_gtins() -> list[str]:
    """Demo items a shopper can scan without an attendant or a scale."""
    from kiosk.app import demo_file  # noqa: PLC0415

    with demo_file("demo_catalogue.csv").open(encoding="utf-8", newline="") as fh:
        return [
            row["gtins"].split("|")[0]
            for row in csv.DictReader(fh)
            if row["unit"] == "each"
            and row["active"] == "1"
            and not int(row["age_limit"] or 0)
            and row["gtins"]
        ]


def _load_demo_config(data_dir: Path) -> Any:
    from kiosk.config import demo_config_path, load_config  # noqa: PLC0415

    return load_config(demo_config_path(), data_dir=data_dir)


class PaymentSimulatorProcess:
    """The ZVT terminal and WeChat Pay / Alipay simulators in a child process
    (`python -m bench.ui --child-simulators DIR`), so the measured process is the kiosk
    alone; it pays through the real clients over loopback, as `kiosk run` does with a
    `[payment]` section naming a terminal and a provider."""

    def __init__(self, data_dir: Path, *, timeout_s: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "bench.ui", "--child-simulators", str(data_dir)]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        ready: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: ready.put(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        try:
            line = ready.get(timeout=timeout_s)
        except queue.Empty:
            self.close()
            raise BenchError(f"payment simulators not ready within {timeout_s} s") from None
        finally:
            reader.join(timeout=1)
        urls = _reported(SIMULATORS_READY, line)
        if urls is None:
            self.close()
            raise BenchError(f"payment simulators did not start (exit {self.proc.poll()})")
        self.urls: dict[str, str] = urls

    def payment_config(self, base: Any) -> Any:
        """`base` ([payment] of the demo config) pointed at the simulators."""
        from kiosk.payment.config import CardConfig, PaymentConfig, QrConfig  # noqa: PLC0415

        provider = self.urls["provider"]
        return PaymentConfig(
            methods=base.methods,
            simulate=False,
            card=CardConfig(self.urls["pinpad"]),
            qr=QrConfig(Path(self.urls["credentials"]), provider, provider),
        )

    def close(self) -> None:
        """Stop the child (EOF on its stdin), waiting for it to exit."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _simulators_child(data_dir: Path) -> int:
    """The child: start the simulators, print their URLs and the kiosk-side credentials
    file, run until stdin closes."""
    from kiosk.payment.kiosk_payments import PaymentSimulators  # noqa: PLC0415

    simulators = PaymentSimulators(data_dir)
    try:
        credentials = data_dir / "kiosk-credentials.json"
        credentials.touch(mode=0o600)
        credentials.chmod(0o600)
        side = simulators.credentials.kiosk_side()
        credentials.write_text(json.dumps(asdict(side)), encoding="utf-8")
        urls = {
            "pinpad": simulators.pinpad_url,
            "provider": simulators.provider_url,
            "credentials": str(credentials),
        }
        _report(SIMULATORS_READY, urls)
        sys.stdin.read()
    finally:
        simulators.close()
    return 0


class BenchKiosk:
    """The demo lane and its UI on the window, scans arriving as in `kiosk run`:
    `Scan` events on a queue, carried to `Lane.scan` by a `DeviceFeed`."""

    def __init__(self, data_dir: Path, profile: DisplayProfile) -> None:
        from kiosk.lane_devices import DeviceFeed  # noqa: PLC0415 - Kivy after prepare_kivy
        from kiosk.lane_setup import kiosk_lane  # noqa: PLC0415
        from kiosk.ui.driver import UiDriver  # noqa: PLC0415

        self.printer = _NullPrinter()
        # The demo store `seed_store` made (a copy), paying at the simulators in their own
        # process, as a store kiosk pays at an external terminal and provider.
        self.simulators = PaymentSimulatorProcess(data_dir / "payment-sim")
        try:
            config = _load_demo_config(data_dir)
            config = replace(config, payment=self.simulators.payment_config(config.payment))
            self.demo = kiosk_lane(config, devices=self.printer)
        except BaseException:
            self.simulators.close()
            raise
        self.lane = self.demo.lane
        self.scans: queue.Queue[Scan] = queue.Queue()
        self.weights: queue.Queue[Weight] = queue.Queue()
        self.feed = DeviceFeed(self.scans, self.weights, self.lane.scan, self.lane.feed_weight)
        self.ui = UiDriver(self.lane, profile)

    def start(self) -> BenchKiosk:
        try:
            self.ui.start()
            self.feed.start()
        except BaseException:
            self.close()  # the lane's and simulators' threads would keep the process alive
            raise
        return self

    def close(self) -> None:
        try:
            self.feed.stop()
            self.ui.close()
        finally:
            try:
                self.demo.close()
            finally:
                self.simulators.close()

    def wait_for(
        self, what: Callable[[LaneSnapshot], bool], description: str, *, max_frames: int = 600
    ) -> LaneSnapshot:
        """Run frames until the lane's snapshot satisfies `what`, then let the UI settle."""
        for _ in range(max_frames):
            self.ui.frames(1)
            snap = self.lane.snapshot()
            if snap is not None and what(snap):
                return self.ui.settle()
        raise BenchError(f"{description}: not reached within {max_frames} frames")

    def scan(self, code: str) -> None:
        """What a scanner driver does with a read: one `Scan` on the queue."""
        self.scans.put(Scan(code, None, "bench-scanner", time.time()))

    def expect(self, screen: Screen, what: str) -> LaneSnapshot:
        snap = self.ui.snap
        if snap.screen is not screen:
            notice = snap.notice.key if snap.notice else None
            raise BenchError(f"{what}: on {snap.screen.value}, not {screen.value} ({notice})")
        return snap

    def transaction(self, codes: list[str], method: str) -> None:
        """Start, scan, pay with `method`, take the receipt, back to attract."""
        ui = self.ui
        self.expect(Screen.ATTRACT, "before a transaction")
        ui.tap_id("start")
        self.expect(Screen.BASKET, "after start")
        for n, code in enumerate(codes, 1):
            self.scan(code)
            self.wait_for(lambda s, n=n: len(s.lines) == n, f"line {n} ({code})")  # type: ignore[misc]
        self.pay(method)

    def pay(self, method: str) -> None:
        ui = self.ui
        ui.tap_id("pay")
        self.expect(Screen.PAYMENT_CHOICE, "after pay")
        ui.tap_id(method)
        if method in PAYMENT_CODES:
            self.expect(Screen.PAYING, f"after {method}")
            self.scan(PAYMENT_CODES[method])
            self.wait_for(lambda s: s.screen is not Screen.PAYING, f"{method} settled")
        self.expect(Screen.RECEIPT, f"after paying by {method}")
        ui.tap_id("done")
        self.expect(Screen.ATTRACT, "after done")


# ---------------------------------------------------------------- scan -> line drawn


@dataclass(slots=True)
class _Pending:
    """The scan in flight: what to look for and when each stage happened."""

    lines: int  # basket lines once this scan is in
    injected: float = 0.0
    published: float = 0.0
    draw_began: float = 0.0
    drawn: float = 0.0


class _Injector:
    """A scanner thread: sleeps a random part of a frame, then puts the scan on the queue."""

    def __init__(self, kiosk: BenchKiosk, seed: int) -> None:
        self.kiosk = kiosk
        self.rng = random.Random(seed)
        self.jobs: queue.Queue[tuple[str, _Pending] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="bench-scanner")

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            code, pending = job
            time.sleep(self.rng.uniform(0, 2 * FRAME_S))
            pending.injected = time.perf_counter()
            self.kiosk.scan(code)


def scan_to_line_drawn(kiosk: BenchKiosk, scans: int, basket_size: int) -> dict[str, Any]:
    """`scans` scans in baskets of `basket_size`; each timed until its row is drawn."""
    from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy
    from kivy.graphics.opengl import glFinish  # noqa: PLC0415
    from kivy.uix.label import Label  # noqa: PLC0415

    ui = kiosk.ui
    app = ui.app
    codes = sellable_gtins()
    current: list[_Pending] = []
    render_times: list[float] = []

    forward = app.on_lane_snapshot

    def on_snapshot(snap: LaneSnapshot) -> None:
        if current and not current[0].published and len(snap.lines) == current[0].lines:
            current[0].published = time.perf_counter()
        forward(snap)

    real_render = app.render

    def timed_render(snap: LaneSnapshot) -> None:
        start = time.perf_counter()
        real_render(snap)
        render_times.append(time.perf_counter() - start)

    draw_started = [0.0]

    def on_draw(_window: Any) -> None:  # bound handlers run before the window draws
        draw_started[0] = time.perf_counter()

    def on_flip(_window: Any) -> None:
        if not current or current[0].drawn:
            return
        pending = current[0]
        snap = app.rendered
        if snap is None or len(snap.lines) != pending.lines or ui.root is None:
            return
        rv = ui.root.ids.screens.get_screen("basket").ids.lines
        for view in rv.layout_manager.children:
            if view.line_id != snap.last_line_id:
                continue
            labels = [w for w in view.walk() if isinstance(w, Label)]
            if not any(w._trigger_texture.is_triggered for w in labels):
                # The flip only queues the frame; it is drawn once GL has finished it.
                glFinish()
                pending.drawn = time.perf_counter()
                pending.draw_began = draw_started[0]
            return

    kiosk.lane.on_snapshot = on_snapshot
    app.render = timed_render  # type: ignore[method-assign]
    EventLoop.window.bind(on_draw=on_draw, on_flip=on_flip)
    injector = _Injector(kiosk, seed=7)
    injector.thread.start()
    samples: list[_Pending] = []
    try:
        for basket in range((scans + basket_size - 1) // basket_size):
            kiosk.expect(Screen.ATTRACT, "before a basket")
            ui.tap_id("start")
            in_basket = min(basket_size, scans - basket * basket_size)
            for n in range(1, in_basket + 1):
                pending = _Pending(lines=n)
                current[:] = [pending]
                code = codes[(basket * basket_size + n) % len(codes)]
                injector.jobs.put((code, pending))
                for _ in range(MAX_FRAMES_PER_SCAN):
                    EventLoop.idle()
                    if pending.drawn:
                        break
                else:
                    raise BenchError(
                        f"scan {code} (line {n}) not drawn in {MAX_FRAMES_PER_SCAN} frames"
                    )
                samples.append(pending)
            current.clear()
            kiosk.pay("card")
    finally:
        injector.jobs.put(None)
        injector.thread.join(timeout=10)
        EventLoop.window.unbind(on_draw=on_draw, on_flip=on_flip)
        kiosk.lane.on_snapshot = forward
        del app.render

    total = [p.drawn - p.injected for p in samples]
    to_lane = [p.published - p.injected for p in samples]
    to_frame = [p.drawn - p.published for p in samples]
    drawing = [p.drawn - p.draw_began for p in samples]
    return {
        "scan_to_line_drawn_p99_ms": percentile_ms(total, 0.99),
        "scan_to_line_drawn_median_ms": percentile_ms(total, 0.5),
        "scan_to_line_drawn_max_ms": percentile_ms(total, 1.0),
        "scan_to_snapshot_p99_ms": percentile_ms(to_lane, 0.99),
        "snapshot_to_drawn_p99_ms": percentile_ms(to_frame, 0.99),
        "render_p99_ms": percentile_ms(render_times, 0.99),
        "line_frame_draw_p99_ms": percentile_ms(drawing, 0.99),
        "line_frame_draw_median_ms": percentile_ms(drawing, 0.5),
        "scans": len(samples),
        "basket_size": basket_size,
    }


# ---------------------------------------------------------------- memory


def rss_bytes() -> int:
    """Resident set size now (/proc/self/statm, second field, in pages)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


GL_DRIVER_LIBS = ("libLLVM", "_dri.so", "libgallium")


def gl_driver_rss_bytes() -> int:
    """Resident bytes of the mapped GL driver libraries (Mesa's llvmpipe loads LLVM:
    ~60 MB that a kiosk's GPU driver does not need), from /proc/self/smaps."""
    total = 0
    current = ""
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            first = line.split(maxsplit=6)
            if "-" in first[0] and len(first) >= 5 and not first[0].endswith(":"):
                current = first[5].strip() if len(first) > 5 else ""
            elif line.startswith("Rss:") and any(lib in current for lib in GL_DRIVER_LIBS):
                total += int(first[1]) * 1024
    return total


# The reference app: the smallest Kivy touch UI on the same stack, so `rss_mb` can be
# read against what this machine's Python, Kivy, SDL, GL driver and CJK font cost with
# no kiosk at all (the guide's "reference measured in the same run").
REFERENCE_ROWS = 10
REFERENCE_FRAMES = 30
REFERENCE_RSS = "bench-ui-reference-rss "


def reference_rss(display: str, *, timeout_s: float = 120.0) -> dict[str, float]:
    """RSS of the reference app, run in a fresh child process like the kiosk's cold start."""
    cmd = [sys.executable, "-m", "bench.ui", "--child-reference", "--display", display]
    proc = subprocess.run(  # noqa: PLW1510 - the exit status is checked below, with output
        cmd,
        cwd=ROOT,
        env=_offscreen_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout_s,
    )
    figures: dict[str, float] | None = _reported(
        REFERENCE_RSS, proc.stdout.decode("utf-8", "replace")
    )
    if proc.returncode == 0 and figures is not None:
        return figures
    raise BenchError(
        f"reference app exited {proc.returncode} without its RSS:"
        f" {proc.stderr.decode('utf-8', 'replace')[-2000:]}"
    )


def _reference_child(display: str) -> int:
    """The child: a window of labels (Chinese and Latin, in the kiosk's CJK font) and
    buttons, drawn for a number of frames; prints its settled RSS and exits."""
    from kiosk.ui.fonts import find_cjk_font  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-ui-ref-") as home:
        prepare_kivy(headless=True, profile=DisplayProfile.parse(display), home=Path(home))
        from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy
        from kivy.core.text import DEFAULT_FONT, LabelBase  # noqa: PLC0415
        from kivy.uix.boxlayout import BoxLayout  # noqa: PLC0415
        from kivy.uix.button import Button  # noqa: PLC0415
        from kivy.uix.label import Label  # noqa: PLC0415

        LabelBase.register(DEFAULT_FONT, str(find_cjk_font()))
        EventLoop.ensure_window()
        window = EventLoop.window
        assert window is not None
        column = BoxLayout(orientation="vertical")
        for i in range(REFERENCE_ROWS):
            column.add_widget(Label(text=f"苹果 Apple {i}  ¥{i}.99", font_size=18 + i))
            column.add_widget(Button(text=f"付款 Pay {i}"))
        window.add_widget(column)
        for _ in range(REFERENCE_FRAMES):
            EventLoop.idle()
        figures = {"rss_mb": _mb(_settled_rss()), "gl_driver_libs_mb": _mb(gl_driver_rss_bytes())}
        _report(REFERENCE_RSS, figures)
    return 0


def _settled_rss() -> int:
    gc.collect()
    return rss_bytes()


def _type_counts() -> Counter[str]:
    return Counter(type(o).__name__ for o in gc.get_objects())


def memory_over_transactions(
    kiosk: BenchKiosk, transactions: int, warmup: int, *, items_per_tx: int = 3
) -> dict[str, Any]:
    """RSS after `warmup` transactions and after `transactions`, with the trend between."""
    codes = sellable_gtins()
    rng = random.Random(11)
    trend: dict[str, float] = {}
    start_rss = 0
    start_types: Counter[str] = Counter()
    step = max(1, transactions // 10)
    for i in range(1, transactions + 1):
        basket = [rng.choice(codes) for _ in range(items_per_tx)]
        kiosk.transaction(basket, METHODS[i % len(METHODS)])
        if i == warmup:
            start_rss = _settled_rss()
            start_types = _type_counts()
        if i >= warmup and (i % step == 0 or i == transactions):
            trend[str(i)] = _mb(_settled_rss())
    end_rss = _settled_rss()
    grown = _type_counts()
    grown.subtract(start_types)
    growth = round((end_rss - start_rss) / start_rss * 100, 2)
    return {
        "rss_mb": round(end_rss / 2**20, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_warmup_mb": round(start_rss / 2**20, 1),
        "rss_gl_driver_libs_mb": _mb(gl_driver_rss_bytes()),
        "rss_growth_pct": growth,
        "rss_growth_500_tx_pct": growth if transactions == 500 and warmup == 50 else None,
        "transactions": transactions,
        "warmup_transactions": warmup,
        "receipts_printed": kiosk.printer.jobs,
        "rss_trend_mb": trend,
        "objects_grown_top": dict(c for c in grown.most_common(5) if c[1] > 0),
    }


# ---------------------------------------------------------------- main


def seed_store(data_dir: Path) -> Path:
    """The demo store as a kiosk finds it at boot, made by a child process.

    Seeding imports the catalogue (pypinyin's dictionaries, ~50 MB) and hashes the
    attendants' PINs: a store does that once, not in the running kiosk, so neither
    belongs in the kiosk process's RSS.
    """
    cmd = [sys.executable, "-m", "bench.ui", "--child-seed", str(data_dir)]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=300, stdin=subprocess.DEVNULL)
    return data_dir


def _seed_child(data_dir: Path) -> int:
    from kiosk.lane_setup import demo_lane  # noqa: PLC0415

    demo_lane(data_dir).close()  # seeds store, attendants and payment simulators' keys
    return 0


def _mb(n_bytes: int) -> float:
    return round(n_bytes / 2**20, 1)


def run_bench(
    *,
    display: str,
    cold_runs: int,
    scans: int,
    basket_size: int,
    transactions: int,
    warmup: int,
) -> dict[str, Any]:
    """Every measure; cold starts first, while this process has no Kivy window yet."""
    profile = DisplayProfile.parse(display)
    result: dict[str, Any] = {"display": display, "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp_name:
        tmp = Path(tmp_name)
        store = seed_store(tmp / "seeded")
        result.update(cold_start(cold_runs, display, store))
        reference = reference_rss(display)
        stages = {"python_and_bench": _mb(_settled_rss())}
        prepare_kivy(headless=True, profile=profile, home=tmp / "kivy")
        from kivy.base import EventLoop  # noqa: PLC0415 - after prepare_kivy
        from kivy.graphics.opengl import GL_RENDERER, glGetString  # noqa: PLC0415

        EventLoop.ensure_window()
        result["gl_renderer"] = glGetString(GL_RENDERER).decode("ascii", "replace")
        stages["kivy_window"] = _mb(_settled_rss())
        # Memory first: this process has done nothing else yet, as a kiosk at boot.
        kiosk = BenchKiosk(_copy_store(store, tmp / "memory"), profile)
        try:
            stages["lane_built"] = _mb(_settled_rss())
            kiosk.start()
            stages["ui_started"] = _mb(_settled_rss())
            result.update(memory_over_transactions(kiosk, transactions, warmup))
        finally:
            kiosk.close()
        result["rss_stages_mb"] = stages
        result["rss_reference_mb"] = reference["rss_mb"]
        result["rss_reference_gl_driver_libs_mb"] = reference["gl_driver_libs_mb"]
        result["rss_over_reference_mb"] = round(result["rss_mb"] - reference["rss_mb"], 1)
        kiosk = BenchKiosk(_copy_store(store, tmp / "scans"), profile).start()
        try:
            result.update(scan_to_line_drawn(kiosk, scans, basket_size))
        finally:
            kiosk.close()
    return result


def _copy_store(store: Path, to: Path) -> Path:
    shutil.copytree(store, to)
    return to


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui")
    parser.add_argument(
        "--quick", action="store_true", help="2 starts, 100 scans, 100 transactions (~2 min)"
    )
    parser.add_argument("--display", default="800x480@7", help="WIDTHxHEIGHT@INCHES")
    parser.add_argument("--child-cold-start", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-limit", type=float, default=30.0, help=argparse.SUPPRESS)
    parser.add_argument("--child-seed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-simulators", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_simulators is not None:
        return _simulators_child(args.child_simulators)
    if args.child_reference:
        return _reference_child(args.display)
    if args.child_seed is not None:
        return _seed_child(args.child_seed)
    if args.child_cold_start is not None:
        return _cold_start_child(args.child_cold_start, args.display, args.child_limit)
    quick = bool(args.quick)
    result: dict[str, Any] = {"quick": quick}
    result.update(
        run_bench(
            display=args.display,
            cold_runs=2 if quick else 5,
            scans=100 if quick else 500,
            basket_size=25,
            transactions=100 if quick else 500,
            warmup=20 if quick else 50,
        )
    )
    if quick:
        result["note"] = (
            "quick run: 100 transactions (RSS growth after 20 warm-up), 100 scans, 2 starts;"
            " run without --quick for rss_growth_500_tx_pct"
        )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
