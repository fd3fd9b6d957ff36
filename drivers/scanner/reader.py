"""The one interface every scanner kind delivers through (SPEC section 4, "Scanner").

A reader owns its I/O in its own thread and puts `Scan` events on a queue; the caller
never blocks on the device. `start()` / `stop()` bracket the thread; `health()` is a
snapshot; `enable()` / `disable()` take effect in the reader thread (scans that arrive
while disabled, e.g. during payment, are counted and dropped).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Self

from drivers.scanner.events import DuplicateFilter, Scan, ScannerHealth
from drivers.transport import TransportHealth
from drivers.worker import Worker

log = logging.getLogger(__name__)

DEFAULT_DUPLICATE_WINDOW_S = 0.5


class ScannerReader(ABC):
    """Base of the serial and HID scanner readers: thread, queue, dedup, counters."""

    def __init__(
        self,
        source: str,
        *,
        events: queue.Queue[Scan] | None = None,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        poll_s: float = 0.05,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.events: queue.Queue[Scan] = events if events is not None else queue.Queue()
        self._dedup = DuplicateFilter(duplicate_window_s)
        self._poll_s = poll_s
        self._clock = clock
        self._monotonic = monotonic
        self._worker = Worker(f"scanner {source}", self._thread_main)
        self._stop = self._worker.stopping
        self._lock = threading.Lock()
        self._enabled = True
        self._enable_pending = False  # the reader thread should send the enable state
        self._connected = False
        self._last_error: str | None = None
        self._scans = 0
        self._rejected = 0
        self._partials = 0
        self._duplicates = 0
        self._disabled_drops = 0
        self._reconnects = 0

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> Self:
        """Start the reader thread; returns at once."""
        self._worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the reader thread and release the device; idempotent."""
        if not self._worker.stop(timeout):
            self._release()

    def _release(self) -> None:  # noqa: B027 - optional hook, most readers open nothing early
        """Free what the constructor opened, when the reader thread never ran."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._worker.running

    def get(self, timeout: float | None = None) -> Scan | None:
        """The next scan, or None when none arrived within `timeout` seconds."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    # --- enable/disable -----------------------------------------------------------
    def enable(self) -> None:
        self._set_enabled(True)

    def disable(self) -> None:
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._enabled = enabled
            self._enable_pending = True

    @property
    def enabled(self) -> bool:
        with self._lock:
            return self._enabled

    def _take_enable_pending(self) -> bool | None:
        """The enable state to send to the device, once per change (reader thread)."""
        with self._lock:
            if not self._enable_pending:
                return None
            self._enable_pending = False
            return self._enabled

    # --- health ----------------------------------------------------------------------
    def health(self) -> ScannerHealth:
        with self._lock:
            return ScannerHealth(
                source=self.source,
                running=self.running,
                connected=self._connected,
                enabled=self._enabled,
                last_error=self._last_error,
                scans=self._scans,
                rejected_frames=self._rejected,
                partial_frames_dropped=self._partials,
                duplicates_suppressed=self._duplicates,
                discarded_while_disabled=self._disabled_drops,
                reconnects=self._reconnects,
                transport=self._transport_health(),
            )

    def _transport_health(self) -> TransportHealth | None:
        return None

    # --- for subclasses (reader thread) -------------------------------------------
    def _set_connected(self, connected: bool, error: str | None = None) -> None:
        with self._lock:
            self._connected = connected
            if error is not None:
                self._last_error = error

    def _note_error(self, error: str) -> None:
        with self._lock:
            self._last_error = error

    def _count_reconnect(self) -> None:
        with self._lock:
            self._reconnects += 1

    def _count_rejected(self, reason: str, raw: bytes | str) -> None:
        with self._lock:
            self._rejected += 1
        log.debug(  # line noise can be frequent: counted in health, logged quietly
            "scanner frame rejected",
            extra={"source": self.source, "reason": reason, "length": len(raw)},
        )

    def _count_partial(self) -> None:
        with self._lock:
            self._partials += 1

    def _deliver(self, data: str, symbology: str | None) -> None:
        """Filter and queue one clean read."""
        now = self._monotonic()
        with self._lock:
            if not self._enabled:
                self._disabled_drops += 1
                return
            if not self._dedup.accept(self.source, data, now):
                self._duplicates += 1
                return
            self._scans += 1
        self.events.put(Scan(data, symbology, self.source, self._clock()))

    def _thread_main(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a bug must not kill silently: record it in health
            log.exception("scanner reader crashed", extra={"source": self.source})
            self._set_connected(False, f"reader crashed: {exc!r}")

    @abstractmethod
    def _run(self) -> None:
        """Read until `self._stop` is set, then release the device."""
