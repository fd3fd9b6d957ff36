"""The byte streams behind device URLs: serial ports and ptys, TCP, files, raw USB.

Each opens once and raises `TransportOpenError` if it cannot; reconnection is the job
of `drivers.transport.ReconnectingTransport`.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import select
import socket
import stat
import termios
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import serial

from drivers.errors import TransportClosed, TransportIOError, TransportOpenError
from drivers.urls import FileSpec, SerialSpec, TcpSpec, TransportSpec, UsbSpec

DEFAULT_TIMEOUT = 1.0  # seconds: open/connect and write timeout


@dataclass(frozen=True, slots=True)
class TransportHealth:
    """A snapshot of a transport's state; counters only grow."""

    connected: bool
    last_error: str | None
    bytes_in: int
    bytes_out: int
    reconnects: int


@runtime_checkable
class Transport(Protocol):
    """A bidirectional byte stream to one device.

    `read` returns whatever arrived (1..max_bytes bytes) as soon as anything arrived,
    or b"" when nothing arrived within `timeout` seconds (0 polls). A broken stream
    raises `TransportError`; `write` sends all bytes or raises.
    """

    @property
    def url(self) -> str: ...

    def read(self, max_bytes: int, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    def health(self) -> TransportHealth: ...


@dataclass(slots=True)
class _Counters:
    bytes_in: int = 0
    bytes_out: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _BaseTransport:
    """Shared bookkeeping: counters, closed flag, health."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._counters = _Counters()
        self._closed = threading.Event()
        self._broken = False

    @property
    def url(self) -> str:
        return self._url

    def _check_usable(self) -> None:
        if self._closed.is_set():
            raise TransportClosed(f"transport {self._url} is closed")
        if self._broken:
            raise TransportIOError(f"transport {self._url} is broken: {self._counters.last_error}")

    def _fail(self, action: str, exc: BaseException) -> TransportIOError:
        message = f"{action} on {self._url} failed: {exc}"
        with self._counters.lock:
            self._counters.last_error = message
        self._broken = True
        return TransportIOError(message)

    def _count(self, bytes_in: int = 0, bytes_out: int = 0) -> None:
        with self._counters.lock:
            self._counters.bytes_in += bytes_in
            self._counters.bytes_out += bytes_out

    def health(self) -> TransportHealth:
        with self._counters.lock:
            return TransportHealth(
                connected=not (self._closed.is_set() or self._broken),
                last_error=self._counters.last_error,
                bytes_in=self._counters.bytes_in,
                bytes_out=self._counters.bytes_out,
                reconnects=0,
            )


def is_pty(path: str) -> bool:
    """True when `path` (or what its symlink points to) is a Unix98 pty slave."""
    return os.path.realpath(path).startswith("/dev/pts/")


class SerialTransport(_BaseTransport):
    """A serial port or pty through pyserial."""

    def __init__(self, spec: SerialSpec, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(spec.url)
        self._read_timeout: float | None = timeout
        # A pty carries bytes, not bits: Linux forces CS8 and no parity on it and then
        # rejects pyserial's later reconfiguration, so line settings apply to ttys only.
        pty = is_pty(spec.path)
        try:
            self._port = serial.Serial(
                port=spec.path,
                baudrate=spec.baudrate,
                bytesize=serial.EIGHTBITS if pty else spec.bytesize,
                parity=serial.PARITY_NONE if pty else spec.parity,
                stopbits=serial.STOPBITS_ONE if pty else spec.stopbits,
                rtscts=spec.rtscts,
                xonxoff=spec.xonxoff,
                dsrdtr=spec.dsrdtr,
                exclusive=spec.exclusive,
                timeout=timeout,
                write_timeout=timeout,
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            raise TransportOpenError(
                f"cannot open serial port {spec.path} ({spec.url}): {exc}"
            ) from exc

    def read(self, max_bytes: int, timeout: float) -> bytes:
        self._check_usable()
        port = self._port
        try:
            if timeout != self._read_timeout:
                # pyserial re-applies termios on every timeout change: only do it on change.
                port.timeout = max(timeout, 0.0)
                self._read_timeout = timeout
            data = bytes(port.read(1))
            if data and max_bytes > 1:
                waiting = port.in_waiting
                if waiting:
                    data += bytes(port.read(min(waiting, max_bytes - 1)))
        except (serial.SerialException, OSError, TypeError, termios.error) as exc:
            # TypeError: pyserial's read on a port closed by another thread.
            if self._closed.is_set():
                raise TransportClosed(f"transport {self._url} is closed") from exc
            raise self._fail("read", exc) from exc
        self._count(bytes_in=len(data))
        return data

    def write(self, data: bytes) -> None:
        self._check_usable()
        try:
            self._port.write(data)
        except (serial.SerialException, OSError, TypeError, termios.error) as exc:
            raise self._fail("write", exc) from exc
        self._count(bytes_out=len(data))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            with contextlib.suppress(Exception):
                self._port.close()


class TcpTransport(_BaseTransport):
    """A TCP stream (network printers on 9100, scales behind serial servers, simulators)."""

    def __init__(self, spec: TcpSpec, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(spec.url)
        try:
            self._sock = socket.create_connection((spec.host, spec.port), timeout=timeout)
        except OSError as exc:
            raise TransportOpenError(
                f"cannot connect to {spec.host}:{spec.port} ({spec.url}): {exc}"
            ) from exc
        # Reads poll with select, so the socket timeout only bounds writes.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read(self, max_bytes: int, timeout: float) -> bytes:
        self._check_usable()
        try:
            ready, _, _ = select.select([self._sock], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            data = self._sock.recv(max_bytes, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return b""
        except (OSError, ValueError) as exc:
            if self._closed.is_set():
                raise TransportClosed(f"transport {self._url} is closed") from exc
            raise self._fail("read", exc) from exc
        if not data:
            raise self._fail("read", ConnectionError("connection closed by the device"))
        self._count(bytes_in=len(data))
        return data

    def write(self, data: bytes) -> None:
        self._check_usable()
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise self._fail("write", exc) from exc
        self._count(bytes_out=len(data))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()


class FileTransport(_BaseTransport):
    """A file or character device: writes append; reads replay what the file holds.

    A regular file is created if missing (a receipt spooled to disk); a path under
    /dev must exist (a printer's /dev/usb/lp0).
    """

    def __init__(self, spec: FileSpec, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(spec.url)
        del timeout  # opening a file does not block
        flags = os.O_RDWR | os.O_APPEND | os.O_NOCTTY
        if not spec.path.startswith("/dev/"):
            flags |= os.O_CREAT
        try:
            self._fd = os.open(spec.path, flags, 0o644)
        except OSError as exc:
            raise TransportOpenError(f"cannot open file {spec.path} ({spec.url}): {exc}") from exc
        self._regular = stat.S_ISREG(os.fstat(self._fd).st_mode)
        self._read_pos = 0
        self._fd_lock = threading.Lock()

    def read(self, max_bytes: int, timeout: float) -> bytes:
        self._check_usable()
        try:
            if not self._regular:
                ready, _, _ = select.select([self._fd], [], [], max(timeout, 0.0))
                if not ready:
                    return b""
            with self._fd_lock:
                if self._regular:
                    # Own read offset: O_APPEND writes move the shared one to the end.
                    data = os.pread(self._fd, max_bytes, self._read_pos)
                    self._read_pos += len(data)
                else:
                    data = os.read(self._fd, max_bytes)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                return b""
            raise self._fail("read", exc) from exc
        if not data:
            # End of a replayed file is "nothing arrived", not a broken stream.
            self._closed.wait(max(timeout, 0.0))
            return b""
        self._count(bytes_in=len(data))
        return data

    def write(self, data: bytes) -> None:
        self._check_usable()
        view = memoryview(data)
        try:
            with self._fd_lock:
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
        except OSError as exc:
            raise self._fail("write", exc) from exc
        self._count(bytes_out=len(data))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            with self._fd_lock:
                os.close(self._fd)


class UsbTransport(_BaseTransport):
    """A raw USB bulk device through pyusb (optional; imported only when used).

    This is the edge of the world: it is exercised on hardware, not in tests.
    """

    def __init__(self, spec: UsbSpec, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(spec.url)
        self._timeout_ms = max(int(timeout * 1000), 1)
        try:
            usb_core: Any = importlib.import_module("usb.core")
            usb_util: Any = importlib.import_module("usb.util")
        except ImportError as exc:
            raise TransportOpenError(
                f"{spec.url}: USB devices need pyusb; install it (pip install pyusb) or use "
                "the device's serial, file (/dev/usb/lp0) or tcp URL"
            ) from exc
        self._usb_core = usb_core
        try:
            kwargs: dict[str, Any] = {"idVendor": spec.vendor_id, "idProduct": spec.product_id}
            if spec.serial_number:
                kwargs["serial_number"] = spec.serial_number
            device = usb_core.find(**kwargs)
            if device is None:
                raise TransportOpenError(
                    f"no USB device {spec.vendor_id:04x}:{spec.product_id:04x} found ({spec.url})"
                )
            if device.is_kernel_driver_active(spec.interface):
                device.detach_kernel_driver(spec.interface)
            device.set_configuration()
            intf = device.get_active_configuration()[(spec.interface, 0)]

            def _endpoint(direction: int, wanted: int | None) -> int | None:
                if wanted is not None:
                    return wanted
                for ep in intf:
                    if usb_util.endpoint_direction(ep.bEndpointAddress) == direction:
                        return int(ep.bEndpointAddress)
                return None

            self._in_ep = _endpoint(usb_util.ENDPOINT_IN, spec.in_endpoint)
            self._out_ep = _endpoint(usb_util.ENDPOINT_OUT, spec.out_endpoint)
        except TransportOpenError:
            raise
        except Exception as exc:  # pyusb raises USBError, ValueError, NotImplementedError
            raise TransportOpenError(f"cannot open USB device ({spec.url}): {exc}") from exc
        self._device = device
        self._usb_util = usb_util

    def read(self, max_bytes: int, timeout: float) -> bytes:
        self._check_usable()
        if self._in_ep is None:
            self._closed.wait(max(timeout, 0.0))
            return b""
        try:
            data = bytes(self._device.read(self._in_ep, max_bytes, max(int(timeout * 1000), 1)))
        except self._usb_core.USBTimeoutError:
            return b""
        except Exception as exc:
            raise self._fail("read", exc) from exc
        self._count(bytes_in=len(data))
        return data

    def write(self, data: bytes) -> None:
        self._check_usable()
        if self._out_ep is None:
            raise TransportIOError(f"{self._url}: the USB interface has no OUT endpoint")
        try:
            self._device.write(self._out_ep, data, self._timeout_ms)
        except Exception as exc:
            raise self._fail("write", exc) from exc
        self._count(bytes_out=len(data))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            with contextlib.suppress(Exception):
                self._usb_util.dispose_resources(self._device)


def open_raw(spec: TransportSpec, *, timeout: float = DEFAULT_TIMEOUT) -> Transport:
    """Open a parsed spec once, without reconnection; raises `TransportOpenError`."""
    if isinstance(spec, SerialSpec):
        return SerialTransport(spec, timeout=timeout)
    if isinstance(spec, TcpSpec):
        return TcpTransport(spec, timeout=timeout)
    if isinstance(spec, FileSpec):
        return FileTransport(spec, timeout=timeout)
    return UsbTransport(spec, timeout=timeout)
