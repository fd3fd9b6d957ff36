"""One way to open a byte stream from a URL (SPEC section 4, "Transports come from one factory").

    serial:///dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E&stopbits=1
    pty:///dev/pts/7            (or a plain path such as /dev/pts/7 or a simulator's symlink)
    tcp://192.0.2.10:9100
    file:///var/lib/kiosk/receipt.escpos
    usb://04b8:0202?interface=0

A simulator replaces hardware by URL alone (OctoPrint's virtual printer, STYLE.md): a
driver never knows whether it talks to a device or to a simulator.

`open_transport` returns a `ReconnectingTransport` by default: it never raises because
a device is absent or unplugged; it reports that in `health()` and reopens the device
with bounded exponential backoff. Bad URLs always raise `TransportUrlError` at once.

URL parsing lives in `drivers.urls`, the concrete streams in `drivers.streams`; the
names other modules use are all importable from here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.errors import (
    TransportClosed,
    TransportDisconnected,
    TransportIOError,
    TransportOpenError,
)
from drivers.streams import (
    DEFAULT_TIMEOUT,
    FileTransport,
    SerialTransport,
    TcpTransport,
    Transport,
    TransportHealth,
    UsbTransport,
    is_pty,
    open_raw,
)
from drivers.urls import (
    FileSpec,
    SerialSpec,
    TcpSpec,
    TransportSpec,
    UsbSpec,
    parse_transport_url,
    with_serial_defaults,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Backoff",
    "FileSpec",
    "FileTransport",
    "ReconnectingTransport",
    "SerialSpec",
    "SerialTransport",
    "TcpSpec",
    "TcpTransport",
    "Transport",
    "TransportHealth",
    "TransportSpec",
    "UsbSpec",
    "UsbTransport",
    "drain_input",
    "is_pty",
    "open_raw",
    "open_transport",
    "parse_transport_url",
    "with_serial_defaults",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff between reconnection attempts (seconds)."""

    initial: float = 0.05
    maximum: float = 2.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.maximum) or self.factor < 1:
            raise ValueError(f"invalid backoff {self}: need 0 < initial <= maximum, factor >= 1")

    def next(self, current: float) -> float:
        return min(current * self.factor, self.maximum)


# --- reconnection -------------------------------------------------------------------


class ReconnectingTransport:
    """Wraps an opener; reopens the device after any failure with bounded backoff.

    Never raises because the device is absent: `read` waits (at most its timeout) for
    the next attempt and raises `TransportDisconnected` if it still cannot connect,
    and a read or write that breaks raises `TransportDisconnected` once, so the caller
    can drop a partial frame. Thread-safe: one reader and other writers may share it.
    """

    def __init__(
        self,
        url: str,
        opener: Callable[[], Transport],
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        connect_now: bool = True,
    ) -> None:
        self._url = url
        self._opener = opener
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._closed = threading.Event()
        self._inner: Transport | None = None
        self._delay = self._backoff.initial
        self._next_attempt = clock()
        self._ever_connected = False
        self._reconnects = 0
        self._bytes_in = 0
        self._bytes_out = 0
        self._last_error: str | None = None
        if connect_now:
            self._attempt()

    @property
    def url(self) -> str:
        return self._url

    def _attempt(self) -> Transport | None:
        """One connection attempt, if none is running; records the outcome."""
        with self._connect_lock:
            with self._lock:
                if self._closed.is_set():
                    raise TransportClosed(f"transport {self._url} is closed")
                if self._inner is not None:
                    return self._inner
            try:
                inner = self._opener()
            except TransportOpenError as exc:
                with self._lock:
                    self._last_error = str(exc)
                    self._next_attempt = self._clock() + self._delay
                    self._delay = self._backoff.next(self._delay)
                return None
            with self._lock:
                if self._closed.is_set():
                    inner.close()
                    raise TransportClosed(f"transport {self._url} is closed")
                self._inner = inner
                self._delay = self._backoff.initial
                if self._ever_connected:
                    self._reconnects += 1
                    log.info("device reconnected", extra={"url": self._url})
                self._ever_connected = True
                return inner

    def _connected(self, timeout: float) -> Transport:
        deadline = self._clock() + max(timeout, 0.0)
        while True:
            with self._lock:
                if self._closed.is_set():
                    raise TransportClosed(f"transport {self._url} is closed")
                inner = self._inner
                due = self._next_attempt
            if inner is not None:
                return inner
            now = self._clock()
            if now >= due:
                inner = self._attempt()
                if inner is not None:
                    return inner
                now = self._clock()
                with self._lock:
                    due = self._next_attempt
            if now >= deadline:
                raise TransportDisconnected(
                    f"{self._url} is not connected ({self._last_error}); "
                    f"retrying every {self._backoff.maximum:g} s at most"
                )
            self._closed.wait(min(due, deadline) - now)

    def _drop(self, inner: Transport, exc: BaseException) -> TransportDisconnected:
        with self._lock:
            dropped = self._inner is inner
            if dropped:
                self._inner = None
                self._last_error = str(exc)
                self._next_attempt = self._clock() + self._delay
                self._delay = self._backoff.next(self._delay)
        if dropped:  # logged once per loss, not once per failed retry
            log.warning("device disconnected", extra={"url": self._url, "error": str(exc)})
        inner.close()
        return TransportDisconnected(f"{self._url} disconnected: {exc}")

    def connect(self, timeout: float) -> bool:
        """Try to be connected within `timeout` seconds; True when connected."""
        try:
            self._connected(timeout)
        except TransportDisconnected:
            return False
        return True

    def read(self, max_bytes: int, timeout: float) -> bytes:
        start = self._clock()
        inner = self._connected(timeout)
        remaining = max(timeout - (self._clock() - start), 0.0)
        try:
            data = inner.read(max_bytes, remaining)
        except TransportClosed:
            if self._closed.is_set():
                raise
            raise self._drop(inner, TransportClosed("closed underneath")) from None
        except TransportIOError as exc:
            raise self._drop(inner, exc) from exc
        with self._lock:
            self._bytes_in += len(data)
        return data

    def write(self, data: bytes) -> None:
        inner = self._connected(0.0)  # never block a writer waiting for a device
        try:
            inner.write(data)
        except TransportIOError as exc:
            raise self._drop(inner, exc) from exc
        with self._lock:
            self._bytes_out += len(data)

    def close(self) -> None:
        with self._lock:
            self._closed.set()
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()

    def health(self) -> TransportHealth:
        with self._lock:
            return TransportHealth(
                connected=self._inner is not None,
                last_error=self._last_error,
                bytes_in=self._bytes_in,
                bytes_out=self._bytes_out,
                reconnects=self._reconnects,
            )


def open_transport(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    reconnect: bool = True,
    backoff: Backoff | None = None,
) -> Transport:
    """Open the byte stream named by `url`.

    Raises `TransportUrlError` for a bad URL, always. With `reconnect=True` (the
    default) it returns a `ReconnectingTransport` that tries to connect once now and
    keeps retrying with bounded exponential backoff; an absent device shows in
    `health()` instead of raising. With `reconnect=False` it opens once and raises
    `TransportOpenError` if the device cannot be opened (technician commands).
    `timeout` bounds opening, connecting and writing; each `read` has its own.
    """
    spec = parse_transport_url(url)
    if not reconnect:
        return open_raw(spec, timeout=timeout)
    return ReconnectingTransport(spec.url, lambda: open_raw(spec, timeout=timeout), backoff=backoff)


def drain_input(transport: Transport, *, max_reads: int = 64) -> int:
    """Discard bytes already waiting (a stale answer) without blocking; returns the count."""
    discarded = 0
    for _ in range(max_reads):
        data = transport.read(4096, 0.0)
        if not data:
            break
        discarded += len(data)
    return discarded
