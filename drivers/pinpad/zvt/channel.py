"""One end of a ZVT link: sends and receives APDUs over a byte stream.

The same class serves the driver (ECR end, over a `drivers.transport` stream) and the
simulator (terminal end, over a `drivers.simlink` link), so both speak exactly the
same bytes. Serial mode frames APDUs (`framing.encode_frame`), acknowledges every good
frame with ACK and every bad one with NAK, and resends its own frames on NAK or silence
a bounded number of times; TCP mode writes raw APDUs.

Not thread-safe: one thread owns a channel (the driver's command loop, the simulator's
session thread).
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from drivers.errors import TransportError
from drivers.pinpad.zvt.errors import ZvtLinkError
from drivers.pinpad.zvt.framing import (
    ACK,
    NAK,
    ApduSplitter,
    BadFrame,
    Frame,
    LinkAck,
    LinkNak,
    SerialDeframer,
    encode_frame,
)

log = logging.getLogger(__name__)

Tap = Callable[[str, bytes], None]  # ("out" | "in", apdu): every APDU sent or taken


class BytePipe(Protocol):
    """What a channel needs of a byte stream (a `Transport` is one)."""

    def read(self, max_bytes: int, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class LinkTimeouts:
    """Serial link timing. ZVT's transport spec leaves these to the implementations:
    ecrterm waits 0.2 s between characters; we allow more because a loaded host or a
    USB-serial adapter stalls longer, and a retry costs less than a lost frame.
    """

    serial_ack_s: float = 2.0  # wait for ACK/NAK after sending a frame
    serial_char_s: float = 1.0  # longest silence inside a frame before it is dropped
    serial_tries: int = 3  # transmissions of one frame before the link counts as broken

    def __post_init__(self) -> None:
        if self.serial_ack_s <= 0 or self.serial_char_s <= 0 or self.serial_tries < 1:
            raise ValueError(f"invalid link timeouts {self}")


@dataclass(slots=True)
class LinkCounters:
    apdus_out: int = 0
    apdus_in: int = 0
    retransmissions: int = 0
    naks_sent: int = 0
    naks_received: int = 0
    bad_frames: int = 0


class ZvtChannel:
    def __init__(
        self,
        pipe: BytePipe,
        *,
        serial: bool,
        name: str = "zvt",
        timeouts: LinkTimeouts | None = None,
        tap: Tap | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipe = pipe
        self.serial = serial
        self.name = name
        self._timeouts = timeouts or LinkTimeouts()
        self._tap = tap
        self._clock = clock
        self._deframer = SerialDeframer()
        self._splitter = ApduSplitter()
        self._inbox: collections.deque[bytes] = collections.deque()
        self._acks = 0
        self._naks = 0
        self._last_byte_at = clock()
        self.counters = LinkCounters()

    def reset(self) -> None:
        """Forget partial input and queued APDUs (after the link was lost and came back)."""
        self._deframer.reset()
        self._splitter.reset()
        self._inbox.clear()
        self._acks = self._naks = 0

    # --- sending ---------------------------------------------------------------------

    def send(self, apdu: bytes, *, corrupt_first: bool = False) -> None:
        """Send one APDU; in serial mode wait for the peer's ACK, resending on NAK/silence.

        Raises `ZvtLinkError` when the stream breaks or no ACK came after the allowed
        tries. `corrupt_first` spoils the first transmission's CRC (simulator faults).
        """
        self.counters.apdus_out += 1
        if self._tap is not None:
            self._tap("out", apdu)
        if not self.serial:
            self._write(apdu)
            return
        frame = encode_frame(apdu)
        for attempt in range(self._timeouts.serial_tries):
            self._acks = self._naks = 0
            if attempt:
                self.counters.retransmissions += 1
            spoiled = corrupt_first and attempt == 0
            self._write(frame[:-1] + bytes((frame[-1] ^ 0xFF,)) if spoiled else frame)
            deadline = self._clock() + self._timeouts.serial_ack_s
            while True:
                now = self._clock()
                if self._acks:
                    return
                if self._naks or now >= deadline:
                    break
                self._pump(deadline - now)
            if self._naks:
                self.counters.naks_received += 1
        raise ZvtLinkError(
            f"{self.name}: frame {apdu[:2].hex(' ').upper()} not acknowledged after "
            f"{self._timeouts.serial_tries} tries (no ACK, or NAK every time); "
            "check the cable, the baud rate and 8N2 line settings"
        )

    def _write(self, data: bytes) -> None:
        try:
            self._pipe.write(data)
        except TransportError as exc:
            raise ZvtLinkError(str(exc)) from exc  # transport messages name the URL

    # --- receiving -------------------------------------------------------------------

    def receive(self, timeout: float) -> bytes | None:
        """The next APDU from the peer, or None if none arrived within `timeout` seconds."""
        deadline = self._clock() + max(timeout, 0.0)
        while True:
            if self._inbox:
                apdu = self._inbox.popleft()
                self.counters.apdus_in += 1
                if self._tap is not None:
                    self._tap("in", apdu)
                return apdu
            now = self._clock()
            if now >= deadline and timeout > 0:
                return None
            self._pump(max(deadline - now, 0.0))
            if not self._inbox and timeout <= 0:
                return None

    def _read(self, timeout: float) -> bytes:
        try:
            return self._pipe.read(4096, max(timeout, 0.0))
        except TransportError as exc:
            raise ZvtLinkError(str(exc)) from exc

    def _pump(self, timeout: float) -> None:
        """One read; everything it brings is processed (frames queued, ACK/NAK answered)."""
        if not self.serial:
            data = self._read(timeout)
            self._inbox.extend(self._splitter.feed(data))
            return
        if self._deframer.in_frame:
            gap_left = self._timeouts.serial_char_s - (self._clock() - self._last_byte_at)
            timeout = min(timeout, max(gap_left, 0.0))
        data = self._read(timeout)
        now = self._clock()
        if not data:
            if self._deframer.in_frame and now - self._last_byte_at >= self._timeouts.serial_char_s:
                bad = self._deframer.reset()
                if bad is not None:
                    self._reject(bad)
            return
        self._last_byte_at = now
        for event in self._deframer.feed(data):
            if isinstance(event, Frame):
                self._write(bytes((ACK,)))
                self._inbox.append(event.apdu)
            elif isinstance(event, BadFrame):
                self._reject(event)
            elif isinstance(event, LinkAck):
                self._acks += 1
            elif isinstance(event, LinkNak):
                self._naks += 1

    def _reject(self, bad: BadFrame) -> None:
        self.counters.bad_frames += 1
        self.counters.naks_sent += 1
        log.info("zvt bad serial frame", extra={"link": self.name, "reason": bad.reason})
        self._write(bytes((NAK,)))
