"""The device end of a simulated wire: a pty or a TCP listener (SPEC section 4).

Simulators speak the real bytes through a `SimLink`; the driver opens `link.url`
through the ordinary transport factory, exactly as it would open hardware.

`PtyLink` publishes a stable symlink (like /dev/serial/by-id) to the current
/dev/pts/N, so that `unplug()` + `plug()` (a new pty) looks to the driver like a USB
serial adapter pulled and plugged back in: the same path, a new device behind it.
`TcpLink` accepts one client at a time; `unplug()` drops it and refuses new ones
until `plug()`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import socket
import tempfile
import threading
import time
import tty
from types import TracebackType
from typing import Protocol, Self

from drivers.worker import Worker


class SimLink(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def plugged(self) -> bool: ...

    def read(self, max_bytes: int, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> bool: ...

    def unplug(self) -> None: ...

    def plug(self) -> None: ...

    def close(self) -> None: ...


class PtyLink:
    """A pty whose device end the simulator holds; the driver opens the slave side."""

    def __init__(self, name: str = "device", *, directory: str | None = None) -> None:
        self._own_dir = directory is None
        self._dir = directory or tempfile.mkdtemp(prefix="kiosk-sim-")
        self.path = os.path.join(self._dir, name)
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._closed = False
        self.plug()

    @property
    def url(self) -> str:
        return f"pty://{self.path}"

    @property
    def plugged(self) -> bool:
        with self._lock:
            return self._master is not None

    @property
    def device_path(self) -> str | None:
        """The /dev/pts/N behind the symlink now, or None while unplugged."""
        with self._lock:
            return None if self._slave is None else os.ttyname(self._slave)

    def plug(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("link is closed")
            if self._master is not None:
                return
            master, slave = os.openpty()
            # Raw on the slave now, before the driver opens it: no CR->LF translation,
            # no echo, no line buffering of what the "device" sends (pyserial does the
            # same when it opens, but bytes may arrive before that).
            tty.setraw(slave)
            os.set_blocking(master, False)
            tmp = self.path + ".new"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)  # atomic: the driver never sees a missing link
            # Holding the slave open keeps the pty alive while no driver has it open
            # (no EIO on the master between a driver's close and its reopen).
            self._master, self._slave = master, slave

    def unplug(self) -> None:
        """Pull the cable: the driver's next read fails; the path dangles until plug()."""
        with self._lock:
            master, slave = self._master, self._slave
            self._master = self._slave = None
        for fd in (master, slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def read(self, max_bytes: int, timeout: float) -> bytes:
        with self._lock:
            master = self._master
        if master is None:
            return b""
        try:
            ready, _, _ = select.select([master], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            return os.read(master, max_bytes)
        except (OSError, ValueError):
            return b""  # unplugged under us, or nobody on the other end: no bytes

    def write(self, data: bytes) -> bool:
        """Send bytes towards the driver; False when unplugged."""
        with self._lock:
            master = self._master
            if master is None:
                return False
            view = memoryview(data)
            try:
                while view:
                    try:
                        view = view[os.write(master, view) :]
                    except BlockingIOError:
                        select.select([], [master], [], 0.05)
            except OSError:
                return False
        return True

    def close(self) -> None:
        self.unplug()
        with self._lock:
            self._closed = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)


PLUG_RETRY_S = 2.0  # how long `TcpLink.plug` waits for the old listener to let go of the port


class TcpLink:
    """A TCP listener on 127.0.0.1 that serves one client at a time.

    `unplug()` drops the client and closes the listener (connections are refused, as
    from a device that lost power); `plug()` listens again on the same port.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._listener: socket.socket | None = self._listen(host, port)
        self.host, self.port = self._listener.getsockname()[:2]
        self._client: socket.socket | None = None
        self._closed = False

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        listener = socket.create_server((host, port))  # SO_REUSEADDR on POSIX
        listener.setblocking(False)
        return listener

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def plugged(self) -> bool:
        with self._lock:
            return self._listener is not None

    @property
    def has_client(self) -> bool:
        with self._lock:
            return self._client is not None

    def _accept(self) -> None:
        with self._lock:
            listener = self._listener
        if listener is None:
            return
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            old, self._client = self._client, conn
        if old is not None:
            old.close()  # a new driver connection replaces a stale one

    def read(self, max_bytes: int, timeout: float) -> bytes:
        with self._lock:
            listener, client = self._listener, self._client
        watch = [s for s in (listener, client) if s is not None]
        if not watch:
            return b""
        try:
            ready, _, _ = select.select(watch, [], [], max(timeout, 0.0))
        except (OSError, ValueError):
            return b""
        if listener is not None and listener in ready:
            self._accept()
        if client is not None and client in ready:
            try:
                data = client.recv(max_bytes)
            except OSError:
                data = b""
            if not data:
                self._drop(client)
            return data
        return b""

    def _drop(self, client: socket.socket) -> None:
        with self._lock:
            if self._client is client:
                self._client = None
        client.close()

    def write(self, data: bytes) -> bool:
        """Send towards the driver; False when no driver is connected."""
        self._accept()  # take a connection that is waiting, if any
        with self._lock:
            client = self._client
        if client is None:
            return False
        try:
            client.sendall(data)
        except OSError:
            self._drop(client)
            return False
        return True

    def unplug(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            listener, self._listener = self._listener, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes a select() waiting on it
            listener.close()

    def plug(self) -> None:
        """Listen again on the same port.

        The old listener can outlive `unplug()` briefly: a simulator thread blocked in
        select() on it holds the socket until that call returns, and until then the port
        is still taken (EADDRINUSE). So binding is retried for up to `PLUG_RETRY_S`.
        """
        deadline = time.monotonic() + PLUG_RETRY_S
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("link is closed")
                if self._listener is not None:
                    return
                try:
                    self._listener = self._listen(self.host, self.port)
                    return
                except OSError as exc:
                    if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                        raise
            time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.unplug()


def make_link(kind: str, name: str = "device") -> PtyLink | TcpLink:
    """A link by kind: "pty" or "tcp"."""
    if kind == "pty":
        return PtyLink(name)
    if kind == "tcp":
        return TcpLink()
    raise ValueError(f"unknown simulator link {kind!r} (expected pty or tcp)")


class LinkSimulator:
    """The lifecycle every device simulator shares: one thread serving one link.

    Subclasses implement `_run` (loop until `self._stop` is set) and may extend
    `_close` (called after the thread has ended). `start()` returns self so that
    `with Simulator(link) as sim:` and `Simulator(link).start()` both work.
    """

    kind = "device"
    join_timeout_s = 5.0

    def __init__(self, link: SimLink) -> None:
        self.link = link
        self._worker = Worker(f"{self.kind} simulator {link.url}", self._run)
        self._stop = self._worker.stopping

    @property
    def url(self) -> str:
        return self.link.url

    def start(self) -> Self:
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop(self.join_timeout_s)
        self._close()

    def _close(self) -> None:
        self.link.close()

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
