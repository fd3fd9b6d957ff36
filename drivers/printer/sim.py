"""A receipt printer simulator that speaks ESC/POS bytes on a pty or a TCP socket.

The wire is a `drivers.simlink` link (the same pty/TCP ends the other simulators use).

The simulator records every byte it receives, answers the real-time status request
`DLE EOT n` (10 04 n, n = 1..4) with the byte a real printer in the same condition
sends (see `drivers.printer.status` for the bit meanings), and can be told to run out
of paper, reach near end, open its cover, go offline, jam the cutter, answer garbage
or stop answering, so the real driver is tested at byte level (SPEC section 4).

Simplification, on purpose: a real printer that is offline keeps data in its receive
buffer until the buffer fills; this one puts data that arrives while it cannot print
into `discarded`, so a test can prove the driver held a job back instead of sending
it to a printer that could not print it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from drivers.printer.status import DLE, EOT, FIXED_VALUE
from drivers.simlink import PtyLink, TcpLink
from drivers.worker import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Faults:
    """The simulated printer's condition; all False is a healthy printer."""

    paper_near_end: bool = False
    paper_end: bool = False
    cover_open: bool = False
    offline: bool = False  # offline for no reported cause (e.g. "offline" key, busy)
    feed_button: bool = False
    cutter_jam: bool = False
    jam_next_cut: bool = False  # the cutter jams when the next `GS V` arrives
    unrecoverable: bool = False
    auto_recoverable: bool = False  # e.g. print head too hot
    silent: bool = False  # receives and records, answers nothing
    garbage: bool = False  # answers a byte without the fixed status bits

    @property
    def error(self) -> bool:
        return self.cutter_jam or self.unrecoverable or self.auto_recoverable

    @property
    def is_offline(self) -> bool:
        return self.offline or self.paper_end or self.cover_open or self.feed_button or self.error


GS_V = b"\x1dV"  # cut (PROTOCOLS.md: `GS V 66 n` / `GS V 1`)
GARBAGE_REPLY = 0xFF  # bit 0 and bit 7 set: never a valid DLE EOT reply


class PrinterModel:
    """The byte-level behaviour of the printer, independent of pty or socket. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = Faults()
        self._pending = b""  # a DLE or DLE EOT split across two reads
        self.received = bytearray()  # every byte, as it came off the wire
        self.printed = bytearray()  # print data accepted while printable (no DLE EOT n)
        self.discarded = bytearray()  # print data that arrived while the printer could not print
        self.status_requests = 0

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def set_faults(self, **changes: bool) -> Faults:
        """Change some fault flags (names of `Faults` fields); returns the new condition."""
        with self._lock:
            self._faults = dataclasses.replace(self._faults, **changes)
            return self._faults

    def recover(self) -> None:
        """Back to a healthy printer (paper loaded, cover closed, errors cleared)."""
        with self._lock:
            self._faults = Faults()

    def status_byte(self, n: int) -> int:
        """The reply to `DLE EOT n` in the current condition (Epson ESC/POS, DLE EOT)."""
        f = self.faults
        value = FIXED_VALUE
        if n == 1:
            value |= 0x08 if f.is_offline else 0
            value |= 0x20 if f.is_offline and f.error else 0
            value |= 0x40 if f.feed_button else 0
        elif n == 2:
            value |= 0x04 if f.cover_open else 0
            value |= 0x08 if f.feed_button else 0
            value |= 0x20 if f.paper_end else 0
            value |= 0x40 if f.error else 0
        elif n == 3:
            value |= 0x08 if f.cutter_jam else 0
            value |= 0x20 if f.unrecoverable else 0
            value |= 0x40 if f.auto_recoverable else 0
        elif n == 4:
            # A roll that has run out has passed the near-end sensor too.
            value |= 0x0C if f.paper_near_end or f.paper_end else 0
            value |= 0x60 if f.paper_end else 0
        else:
            raise ValueError(f"DLE EOT n is defined for n = 1..4, not {n}")
        return value

    def feed(self, data: bytes) -> bytes:
        """Process bytes from the host; returns the bytes the printer answers."""
        with self._lock:
            self.received += data
            buf = self._pending + data
            self._pending = b""
            faults = self._faults
        replies = bytearray()
        body = bytearray()
        i = 0
        while i < len(buf):
            byte = buf[i]
            if byte == DLE:
                rest = buf[i + 1 : i + 3]
                if rest in (b"", bytes((EOT,))):
                    # Could be the start of DLE EOT n split across reads: wait for more.
                    with self._lock:
                        self._pending = buf[i:]
                    break
                if rest[0] == EOT and 1 <= rest[1] <= 4:
                    with self._lock:
                        self.status_requests += 1
                    if faults.garbage:
                        replies.append(GARBAGE_REPLY)
                    elif not faults.silent:
                        replies.append(self.status_byte(rest[1]))
                    i += 3
                    continue
            body.append(byte)
            i += 1
        with self._lock:
            if faults.is_offline:
                self.discarded += body
            else:
                self.printed += body
                if self._faults.jam_next_cut and GS_V in body:
                    self._faults = dataclasses.replace(
                        self._faults, jam_next_cut=False, cutter_jam=True
                    )
        return bytes(replies)


class PrinterSimulator:
    """The printer model behind a simulated wire (`drivers.simlink`), on its own thread.

    The driver opens `url` through the ordinary transport factory, as it would open
    hardware. `unplug()` / `plug()` pull and re-plug the cable.
    """

    def __init__(self, link: PtyLink | TcpLink, model: PrinterModel | None = None) -> None:
        self.link = link
        self.model = model or PrinterModel()
        self._worker = Worker(f"printer simulator {link.url}", self._run)
        self._stopping = self._worker.stopping

    @property
    def url(self) -> str:
        return self.link.url

    # -- convenience for tests and `kiosk sim printer` ------------------------------
    def set_faults(self, **changes: bool) -> Faults:
        return self.model.set_faults(**changes)

    def recover(self) -> None:
        self.model.recover()

    def unplug(self) -> None:
        """Pull the cable (or the network lead): the driver's link breaks."""
        self.link.unplug()

    def plug(self) -> None:
        self.link.plug()

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> Self:
        self._worker.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the link; the simulator cannot be restarted."""
        self._worker.stop(timeout=5)
        self.link.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            # The timeout only bounds how long stop() waits; bytes are served at once.
            data = self.link.read(4096, 0.05)
            if data:
                reply = self.model.feed(data)
                if reply and not self.link.write(reply):
                    log.info("printer-sim reply lost: link unplugged", extra={"url": self.url})


class PtyPrinterSimulator(PrinterSimulator):
    """The printer on a pseudo-terminal; `url` is `pty://` + a stable symlink to it."""

    def __init__(self, model: PrinterModel | None = None) -> None:
        self.pty = PtyLink("printer")
        super().__init__(self.pty, model)

    @property
    def path(self) -> str:
        """The stable path (a symlink to the current /dev/pts/N) the driver opens."""
        return self.pty.path


class TcpPrinterSimulator(PrinterSimulator):
    """The printer as a raw TCP print server (like port 9100), one client at a time."""

    def __init__(
        self, model: PrinterModel | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.tcp = TcpLink(host, port)
        super().__init__(self.tcp, model)

    @property
    def port(self) -> int:
        return int(self.tcp.port)
