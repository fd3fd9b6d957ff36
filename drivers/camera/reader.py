"""Camera barcode reader: OpenCV capture, zxing-cpp decode, `Scan` events (SPEC section 4).

One thread captures and decodes; OpenCV is told to use one thread, and after each
frame the reader sleeps so that it stays within its frame-rate cap and CPU share:
it never takes more than one core and leaves the rest to the UI. The source is a
device index (or `/dev/videoN`) or a video file, so tests run the real reader on
generated video.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import cv2
import numpy as np
import zxingcpp

from drivers.camera.decode import DEFAULT_FORMATS, Deduplicator, Frame, FrameDecoder, Roi
from drivers.camera.errors import CameraConfigError, CameraError, CameraOpenError
from drivers.scanner.events import Scan
from drivers.worker import Worker

log = logging.getLogger(__name__)

CameraSource = int | str | Path


def parse_source(source: CameraSource) -> int | Path:
    """A device index or a path, from an int, `"0"`, `"camera:0"`, `file:///x.avi` or a path."""
    if isinstance(source, int):
        if source < 0:
            raise CameraConfigError(f"camera index {source} must be >= 0")
        return source
    if isinstance(source, Path):
        return source
    text = source.strip()
    if text.isdigit():
        return int(text)
    if text.startswith("camera:"):
        index = text.removeprefix("camera:").lstrip("/")
        if not index.isdigit():
            raise CameraConfigError(f"camera source {source!r}: expected camera:INDEX")
        return int(index)
    if text.startswith("file:"):
        return Path(urlsplit(text).path)
    if not text:
        raise CameraConfigError("camera source is empty: give a device index or a video file")
    return Path(text)


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """Snapshot of the reader's state for `kiosk devices` and the device manager."""

    connected: bool
    finished: bool  # a video file reached its end (never true for a camera)
    last_error: str | None
    frames: int
    frames_with_codes: int
    scans: int
    duplicates: int
    reopens: int
    discarded_while_disabled: int


class CameraReader:
    """Reads barcodes from a camera or video file and delivers `Scan` events.

    The same interface as the scanners' readers (`drivers.scanner.reader`): scans go
    to `events` (a queue, possibly shared with the scanners) and, when given, to
    `on_scan` (called on the reader's thread; keep it short); `get`, `enable`,
    `disable`, `start`, `stop` and `health` behave alike. Unlike a scanner's, the
    duplicate window renews while a code stays in view (see `Deduplicator`).
    """

    def __init__(
        self,
        device: CameraSource,
        *,
        source: str | None = None,
        events: queue.Queue[Scan] | None = None,
        roi: Roi | None = None,
        formats: Iterable[zxingcpp.BarcodeFormat] = DEFAULT_FORMATS,
        max_fps: float | None = 30.0,
        cpu_share: float = 1.0,
        duplicate_window_s: float = 1.0,
        loop: bool = False,
        frame_size: tuple[int, int] | None = None,
        on_scan: Callable[[Scan], None] | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        reopen_backoff_s: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self.device = parse_source(device)
        self.source = source or (
            f"camera:{self.device}" if isinstance(self.device, int) else str(self.device)
        )
        if max_fps is not None and max_fps <= 0:
            raise CameraConfigError(f"camera {self.source}: max_fps {max_fps} must be > 0")
        if not 0 < cpu_share <= 1:
            raise CameraConfigError(
                f"camera {self.source}: cpu_share {cpu_share} must be in (0, 1]"
            )
        self.decoder = FrameDecoder(formats, roi)
        self.dedup = Deduplicator(duplicate_window_s)
        self.max_fps = max_fps
        self.cpu_share = cpu_share
        self.loop = loop
        self.frame_size = frame_size
        self.on_scan = on_scan
        self.clock = clock
        self.monotonic = monotonic
        self.reopen_backoff_s = reopen_backoff_s
        self.events: queue.Queue[Scan] = events if events is not None else queue.Queue()
        self._enabled = True
        self._lock = threading.Lock()
        self._health = CameraHealth(
            connected=False,
            finished=False,
            last_error=None,
            frames=0,
            frames_with_codes=0,
            scans=0,
            duplicates=0,
            reopens=0,
            discarded_while_disabled=0,
        )
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._worker = Worker(f"camera {self.source}", self._run, already_started=CameraError)

    # -- public --------------------------------------------------------------------
    @property
    def is_file(self) -> bool:
        """True when the source is a video file (end of file ends the reader)."""
        return isinstance(self.device, Path) and self.device.is_file()

    @property
    def is_device(self) -> bool:
        """True for a camera (index or /dev path): it is re-opened when it disappears."""
        return isinstance(self.device, int) or str(self.device).startswith("/dev/")

    def health(self) -> CameraHealth:
        with self._lock:
            return self._health

    @property
    def running(self) -> bool:
        return self._worker.running

    def get(self, timeout: float | None = None) -> Scan | None:
        """The next scan, or None when none arrived within `timeout` seconds."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def enable(self) -> None:
        with self._lock:
            self._enabled = True

    def disable(self) -> None:
        """Drop (and count) reads until `enable()`, e.g. while the shopper pays."""
        with self._lock:
            self._enabled = False

    @property
    def enabled(self) -> bool:
        with self._lock:
            return self._enabled

    def start(self) -> Self:
        """Start the capture thread. Nothing runs before this is called."""
        self._worker.start()
        return self

    def stop(self) -> None:
        """Stop the thread and release the device; safe to call twice."""
        self._worker.stop(timeout=10)

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Wait until a video file is read to its end (or the reader gave up)."""
        return self._finished.wait(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def process_frame(self, frame: Frame, now: float | None = None) -> list[Scan]:
        """Decode one frame and deliver the new scans in it; returns them.

        `now` is monotonic seconds for the duplicate window (default: `monotonic()`).
        Raises `CameraConfigError` when the region of interest does not fit the frame.
        """
        seen_at = self.monotonic() if now is None else now
        decoded = self.decoder.decode(frame)
        scans: list[Scan] = []
        duplicates = 0
        for result in decoded:
            if self.dedup.admit((result.text, result.symbology), seen_at):
                scans.append(Scan(result.text, result.symbology, self.source, self.clock()))
            else:
                duplicates += 1
        enabled = self.enabled
        self._count(
            frames=1,
            frames_with_codes=1 if decoded else 0,
            scans=len(scans) if enabled else 0,
            duplicates=duplicates,
            discarded_while_disabled=0 if enabled else len(scans),
        )
        if not enabled:
            return []
        for scan in scans:
            self.events.put(scan)
            if self.on_scan is not None:
                self.on_scan(scan)
        return scans

    # -- thread ------------------------------------------------------------------------
    def _run(self) -> None:
        # One OpenCV worker thread: the reader must not take more than one core.
        cv2.setNumThreads(1)
        capture: cv2.VideoCapture | None = None
        backoff = self.reopen_backoff_s[0]
        try:
            while not self._stop.is_set():
                if capture is None:
                    try:
                        capture = self._open()
                    except CameraOpenError as exc:
                        self._set(connected=False, last_error=str(exc))
                        log.warning("camera open failed", extra={"camera": self.source})
                        if not self.is_device:
                            break  # a missing video file does not come back
                        self._stop.wait(backoff)
                        backoff = min(backoff * 2, self.reopen_backoff_s[1])
                        continue
                started = time.perf_counter()
                ok, frame = capture.read()
                if not ok:
                    if self.is_file:
                        if self.loop:
                            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                            continue
                        self._set(finished=True)
                        break
                    capture.release()
                    capture = None
                    self._set(
                        connected=False, last_error=f"camera {self.source}: frame read failed"
                    )
                    self._count(reopens=1)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.reopen_backoff_s[1])
                    continue
                backoff = self.reopen_backoff_s[0]
                try:
                    self.process_frame(np.asarray(frame, dtype=np.uint8))
                except CameraConfigError as exc:
                    # A setting that does not fit the camera will not fix itself.
                    self._set(last_error=str(exc))
                    log.error("camera stopped", extra={"camera": self.source, "error": str(exc)})
                    break
                self._stop.wait(self._pause_after(time.perf_counter() - started))
        except Exception as exc:  # a bug or a driver fault must not die silently
            log.exception("camera reader crashed", extra={"camera": self.source})
            self._set(last_error=f"camera {self.source}: reader crashed: {exc!r}")
        finally:
            if capture is not None:
                capture.release()
            self._set(connected=False)
            self._finished.set()

    def _pause_after(self, work_s: float) -> float:
        """Sleep time that keeps the frame-rate cap and the CPU share."""
        frame_interval = 0.0 if self.max_fps is None else 1.0 / self.max_fps
        share_pause = work_s * (1.0 / self.cpu_share - 1.0)
        return max(frame_interval - work_s, share_pause, 0.0)

    def _open(self) -> cv2.VideoCapture:
        device = self.device if isinstance(self.device, int) else str(self.device)
        capture = cv2.VideoCapture(device)
        if not capture.isOpened():
            capture.release()
            raise CameraOpenError(
                f"camera {self.source}: cannot open {device!r}; check the device index or "
                "the video file path and that the user may read it"
            )
        if not self.is_file:
            # Keep only the newest frame: a stale frame would delay a read.
            with contextlib.suppress(cv2.error):
                capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.frame_size is not None:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.frame_size[0])
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.frame_size[1])
        self._set(connected=True, last_error=None)
        return capture

    def _set(self, **fields: object) -> None:
        with self._lock:
            self._health = dataclasses.replace(self._health, **fields)  # type: ignore[arg-type]

    def _count(self, **increments: int) -> None:
        with self._lock:
            h = self._health
            self._health = dataclasses.replace(
                h, **{k: getattr(h, k) + v for k, v in increments.items()}
            )
