"""A serial barcode scanner simulator that speaks the real bytes on a pty or TCP socket.

It "reads" codes the way a Datalogic-style RS-232 scanner sends them: optional AIM
prefix, the data, the configured terminator, one character every 10 bit times at the
configured baud rate (9600 baud: ~1.04 ms per character), with a pause between reads.
It obeys the host's enable ('E') and disable ('D') commands, and can be scripted to
inject line noise, send a partial frame, or have its cable pulled and plugged back.

    with ScannerSimulator(PtyLink("scanner")) as sim:
        scanner = SerialScanner(sim.url)
        sim.scan("4006381333931", symbology="]E0")
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from drivers.simlink import LinkSimulator, PtyLink, SimLink


@dataclass(frozen=True, slots=True)
class Code:
    """One read of a barcode."""

    data: str
    symbology: str | None = None


@dataclass(frozen=True, slots=True)
class Noise:
    """Raw bytes on the line (electrical noise, a wrong baud rate)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PartialFrame:
    """The start of a read that never ends (the scanner reset mid-transmission)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


@dataclass(frozen=True, slots=True)
class Unplug:
    """Pull the cable, wait, plug it back in."""

    seconds: float


Step = Code | Noise | PartialFrame | Pause | Unplug


class ScannerSimulator(LinkSimulator):
    """Runs a script of steps in its own thread; more steps can be queued at any time."""

    kind = "scanner"

    def __init__(
        self,
        link: SimLink | None = None,
        *,
        script: Iterable[Step] = (),
        terminator: bytes = b"\r\n",
        baudrate: int = 9600,
        realtime: bool = True,
        gap_s: float = 0.3,
        enable_command: bytes = b"E",
        disable_command: bytes = b"D",
        repeat: bool = False,
    ) -> None:
        super().__init__(link if link is not None else PtyLink("scanner"))
        self.terminator = terminator
        self.char_time_s = 10 / baudrate  # start + 8 data + stop bits (7E1 is also 10)
        self.realtime = realtime
        self.gap_s = gap_s
        self.enable_command = enable_command
        self.disable_command = disable_command
        self.repeat = repeat
        self._script = list(script)
        self._steps: queue.Queue[Step] = queue.Queue()
        for step in self._script:
            self._steps.put(step)
        self._lock = threading.Condition()
        self._outstanding = len(self._script)
        self._enabled = True
        self.sent_codes: list[str] = []
        self.dropped_while_disabled: list[str] = []
        self.commands: bytearray = bytearray()

    @property
    def enabled(self) -> bool:
        with self._lock:
            return self._enabled

    # --- scripting ------------------------------------------------------------------
    def _queue(self, step: Step) -> None:
        with self._lock:
            self._outstanding += 1
        self._steps.put(step)

    def scan(self, data: str, symbology: str | None = None) -> None:
        self._queue(Code(data, symbology))

    def noise(self, data: bytes) -> None:
        self._queue(Noise(data))

    def partial(self, data: bytes) -> None:
        self._queue(PartialFrame(data))

    def unplug(self, seconds: float) -> None:
        self._queue(Unplug(seconds))

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued step has been sent (bounded wait)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._outstanding == 0, timeout)

    def frame(self, code: Code) -> bytes:
        return ((code.symbology or "") + code.data).encode("ascii") + self.terminator

    # --- lifecycle ----------------------------------------------------------------------
    # --- the thread ---------------------------------------------------------------------
    def _poll_commands(self, timeout: float) -> None:
        data = self.link.read(64, timeout)
        if not data:
            return
        with self._lock:
            self.commands += data
            for byte in data:
                if bytes([byte]) == self.enable_command:
                    self._enabled = True
                elif bytes([byte]) == self.disable_command:
                    self._enabled = False

    def _send(self, data: bytes) -> None:
        if not self.realtime:
            self.link.write(data)
            return
        start = time.monotonic()
        for i in range(len(data)):
            # Pace by the wire: character i leaves at start + i * char_time.
            delay = start + i * self.char_time_s - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            self.link.write(data[i : i + 1])

    def _do(self, step: Step) -> None:
        if isinstance(step, Code):
            self._poll_commands(0)
            if not self.enabled:
                self.dropped_while_disabled.append(step.data)
                return
            self._send(self.frame(step))
            self.sent_codes.append(step.data)
            if self.realtime and self.gap_s:
                self._stop.wait(self.gap_s)
        elif isinstance(step, Noise | PartialFrame):
            self._send(step.data)
        elif isinstance(step, Pause):
            self._stop.wait(step.seconds)
        else:
            self.link.unplug()
            self._stop.wait(step.seconds)
            with self._lock:
                self._enabled = True  # a power-cycled scanner starts enabled
            self.link.plug()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                step = self._steps.get_nowait()
            except queue.Empty:
                if self.repeat and self._script:
                    for again in self._script:
                        self._queue(again)
                    continue
                self._poll_commands(0.02)
                continue
            try:
                self._do(step)
            finally:
                with self._lock:
                    self._outstanding -= 1
                    self._lock.notify_all()
