"""`kiosk run --simulate` in a real X window (Xvfb), driven through its stdin console.

The UI tests elsewhere run Kivy offscreen in-process; this one runs the CLI as a person
would on a laptop: a separate process, SDL's X11 driver, a window on an X server, and
the simulator console on stdin/stdout. Xvfb comes from scripts/apt-packages-test.txt.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from kiosk.ui.env import SMALL

# A demo GTIN from kiosk/data/demo_catalogue.csv (B-TOAST-400, sold by the piece).
TOAST_GTIN = "6920909000014"
X_SOCKETS = Path("/tmp/.X11-unix")
# Bounds, not expectations: the machine is shared, and Kivy's first start is slow.
XVFB_START_S = 15.0
KIOSK_START_S = 90.0
REPLY_S = 30.0
EXIT_S = 30.0
STATUS = re.compile(
    r"status: screen=(?P<screen>\S+) shown=(?P<shown>\S+) items=(?P<items>\d+)"
    r" total=\S+ total_minor=(?P<total_minor>\d+)$"
)


def _free_displays() -> Iterator[int]:
    for n in range(90, 200):
        if not (X_SOCKETS / f"X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            yield n


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb screen of the small kiosk panel's size; its DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb not found: install the xvfb package (scripts/apt-packages-test.txt)"
    log = tmp_path / "xvfb.log"
    for n in list(_free_displays())[:5]:  # another process may take a number first: next one
        screen = f"{SMALL.width}x{SMALL.height}x24"
        with log.open("wb") as out:
            xserver = subprocess.Popen(
                [xvfb, f":{n}", "-screen", "0", screen, "-nolisten", "tcp"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + XVFB_START_S
            while xserver.poll() is None and time.monotonic() < deadline:
                if (X_SOCKETS / f"X{n}").exists():
                    yield f":{n}"
                    return
                time.sleep(0.05)
        finally:
            _stop(xserver)
    pytest.fail(f"Xvfb did not start on any free display: {log.read_text(errors='replace')}")


class KioskProcess:
    """`kiosk run --simulate` under X; one console line in, one reply line out."""

    def __init__(self, display: str, data_dir: Path, stderr_path: Path) -> None:
        env = {
            k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")
        }
        env.update(DISPLAY=display, PYTHONIOENCODING="utf-8")
        self.stderr_path = stderr_path
        with stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "run", "--simulate", "--data-dir", str(data_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
            )
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._pending = b""
        self.transcript: list[str] = []

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()

    def expect(self, prefix: str, timeout: float = REPLY_S) -> str:
        """The next stdout line starting with `prefix` (others are kept in the transcript)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._pending:
                raw, self._pending = self._pending.split(b"\n", 1)
                line = raw.decode("utf-8", errors="replace").rstrip("\r")
                self.transcript.append(line)
                if line.startswith(prefix):
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no {prefix!r} line within {timeout:.0f} s")
            if self._selector.select(timeout=min(left, 0.5)):
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    self.fail(f"stdout closed before a {prefix!r} line")
                self._pending += chunk

    def status_until(self, wanted: Callable[[re.Match[str]], bool]) -> re.Match[str]:
        """Ask `status` until the reply satisfies `wanted` (the lane and UI are asynchronous)."""
        deadline = time.monotonic() + REPLY_S
        while True:
            self.send("status")
            line = self.expect("status:")
            match = STATUS.match(line)
            if match is not None and wanted(match):
                return match
            if time.monotonic() > deadline:
                self.fail(f"status never became what the test waits for; last: {line!r}")
            time.sleep(0.2)

    def fail(self, why: str) -> None:
        err = self.stderr_path.read_text(errors="replace")[-3000:]
        out = "\n".join(self.transcript[-20:])
        pytest.fail(f"{why}\n--- stdout:\n{out}\n--- stderr (tail):\n{err}")

    def close(self) -> None:
        self._selector.close()
        _stop(self.process)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def kiosk_under_x(x_display: str, tmp_path: Path) -> Iterator[KioskProcess]:
    kiosk = KioskProcess(x_display, tmp_path / "store", tmp_path / "kiosk-stderr.log")
    try:
        yield kiosk
    finally:
        kiosk.close()


def test_windowed_simulated_kiosk_sells_a_scanned_item_and_quits_cleanly(
    kiosk_under_x: KioskProcess, tmp_path: Path
) -> None:
    kiosk = kiosk_under_x
    kiosk.expect("simulator console:", timeout=KIOSK_START_S)
    kiosk.send("weigh lots")
    assert kiosk.expect("weigh:") == "weigh: GRAMS must be a whole number 0..1000000, got 'lots'"

    idle = kiosk.status_until(lambda m: m["shown"] == "attract")
    assert (idle["screen"], idle["items"], idle["total_minor"]) == ("attract", "0", "0")

    kiosk.send(f"scan {TOAST_GTIN}")
    assert kiosk.expect("scan:") == f"scan: {TOAST_GTIN}"
    basket = kiosk.status_until(lambda m: m["shown"] == "basket" and m["items"] == "1")
    assert basket["screen"] == "basket"
    assert int(basket["total_minor"]) > 0

    shot = tmp_path / "shots" / "basket.png"
    kiosk.send(f"screenshot {shot}")
    assert kiosk.expect("screenshot:") == (
        f"screenshot: wrote {shot} ({SMALL.width}x{SMALL.height})"
    )
    with Image.open(shot) as image:
        assert image.format == "PNG"
        assert image.size == (SMALL.width, SMALL.height)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 2  # a drawn screen, not a blank or cleared one

    kiosk.send("quit")
    assert kiosk.expect("quit:") == "quit: stopping the kiosk"
    try:
        code = kiosk.process.wait(timeout=EXIT_S)
    except subprocess.TimeoutExpired:
        kiosk.fail(f"the kiosk did not exit within {EXIT_S:.0f} s of quit")
    assert code == 0, kiosk.stderr_path.read_text(errors="replace")[-3000:]
