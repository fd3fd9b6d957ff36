"""Serial scanner framing: bytes in, validated frames out (PROTOCOLS.md "Barcode scanners").

Pure: no I/O and no clock; the caller passes monotonic time. A read ends with CR
and/or LF (configurable). A frame is only ever delivered whole and clean: junk bytes,
an over-long frame or a frame cut off by the inter-byte timeout is counted and dropped,
never turned into a scan.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

CR = 0x0D
LF = 0x0A
GS = 0x1D  # FNC1 in GS1 element strings (PROTOCOLS.md "GS1")

# AIM symbology identifier: "]" + code character + modifier (ISO/IEC 15424).
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")


class Framing(enum.Enum):
    """Which byte(s) end a read."""

    CR = "cr"
    LF = "lf"
    CRLF = "crlf"  # either CR or LF ends it; the empty frame between CR and LF is skipped

    @property
    def terminators(self) -> frozenset[int]:
        if self is Framing.CR:
            return frozenset({CR})
        if self is Framing.LF:
            return frozenset({LF})
        return frozenset({CR, LF})


class AimMode(enum.Enum):
    """Whether reads carry an AIM symbology prefix."""

    AUTO = "auto"  # split one off when a frame starts with a valid prefix
    REQUIRED = "required"  # the scanner is configured to send one: a frame without is junk
    NONE = "none"  # never split (data may legitimately start with "]")


class Reject(enum.Enum):
    JUNK = "junk"  # a byte that no scanner sends inside a read
    OVERFLOW = "overflow"  # longer than max_length without a terminator
    NO_AIM = "no_aim"  # AimMode.REQUIRED and no valid prefix
    EMPTY = "empty"  # only an AIM prefix


@dataclass(frozen=True, slots=True)
class Frame:
    data: str
    symbology: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: Reject
    raw: bytes


@dataclass(frozen=True, slots=True)
class Partial:
    """A partial frame dropped because the line went quiet or was reset."""

    raw: bytes


Outcome = Frame | Rejected | Partial


def _printable(byte: int) -> bool:
    return 0x20 <= byte <= 0x7E or byte == GS


def split_aim(text: str, mode: AimMode = AimMode.AUTO) -> tuple[str | None, str]:
    """Split an AIM symbology identifier prefix off `text`: ("]E0", "4006381333931")."""
    if mode is not AimMode.NONE and _AIM.match(text):
        return text[:3], text[3:]
    return None, text


def validate_frame(raw: bytes, aim: AimMode = AimMode.AUTO) -> Frame | Rejected:
    """Turn the bytes between terminators into a frame, or say why they are junk."""
    if not all(_printable(b) for b in raw):
        return Rejected(Reject.JUNK, raw)
    text = raw.decode("ascii")
    symbology, data = split_aim(text, aim)
    if aim is AimMode.REQUIRED and symbology is None:
        return Rejected(Reject.NO_AIM, raw)
    if not data:
        return Rejected(Reject.EMPTY, raw)
    return Frame(data, symbology)


class SerialFrameDecoder:
    """Incremental framer for a serial scanner's byte stream."""

    def __init__(
        self,
        framing: Framing = Framing.CRLF,
        *,
        aim: AimMode = AimMode.AUTO,
        max_length: int = 4096,
        inter_byte_timeout_s: float = 0.2,
    ) -> None:
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}")
        if inter_byte_timeout_s <= 0:
            raise ValueError(f"inter_byte_timeout_s must be > 0, got {inter_byte_timeout_s}")
        self.framing = framing
        self.aim = aim
        self.max_length = max_length
        self.inter_byte_timeout_s = inter_byte_timeout_s
        self._terminators = framing.terminators
        self._buffer = bytearray()
        self._overflowed = False
        self._resync = False  # discard up to the next terminator: the tail of a stalled read
        self._tail = bytearray()
        self._last_byte_at: float | None = None
        self._joined_at: float | None = None

    @property
    def pending(self) -> bytes:
        return bytes(self._buffer)

    def feed(self, data: bytes, now: float) -> list[Outcome]:
        """Consume bytes that arrived at monotonic time `now`; return finished outcomes."""
        outcomes = self.expire(now)
        if data:
            if self._joined_at is not None:
                # Bytes right after (re)opening the line may be the tail of a read that
                # was already in flight: drop them through the next terminator.
                if now - self._joined_at <= self.inter_byte_timeout_s and not self._buffer:
                    self._resync = True
                self._joined_at = None
            self._last_byte_at = now
        for byte in data:
            if self._resync:
                if byte in self._terminators:
                    self._resync = False
                    if self._tail:
                        outcomes.append(Partial(bytes(self._tail)))
                        self._tail.clear()
                elif len(self._tail) < self.max_length:
                    self._tail.append(byte)
                continue
            if byte in self._terminators:
                if self._overflowed:
                    outcomes.append(Rejected(Reject.OVERFLOW, bytes(self._buffer)))
                elif self._buffer:
                    outcomes.append(validate_frame(bytes(self._buffer), self.aim))
                self._buffer.clear()
                self._overflowed = False
                continue
            if self._overflowed:
                continue  # discard until the next terminator
            self._buffer.append(byte)
            if len(self._buffer) > self.max_length:
                self._overflowed = True
                del self._buffer[self.max_length :]
        return outcomes

    def expire(self, now: float) -> list[Outcome]:
        """Drop a partial frame when the line has been quiet longer than the timeout.

        If the dropped bytes look like the head of a real read (all printable), the
        bytes up to the next terminator are its tail and are dropped too: a read is
        delivered whole or not at all. A junk head was noise; what follows is not
        its tail.
        """
        if (
            self._last_byte_at is not None
            and now - self._last_byte_at > self.inter_byte_timeout_s
            and (self._buffer or self._overflowed)
        ):
            stalled_read = not self._overflowed and all(_printable(b) for b in self._buffer)
            dropped = self.reset()
            self._resync = stalled_read
            return dropped
        return []

    def joined(self, now: float) -> list[Outcome]:
        """The line was (re)opened at `now`; forget the past and guard against a tail."""
        dropped = self.reset()
        self._joined_at = now
        return dropped

    def reset(self) -> list[Outcome]:
        """Forget any partial frame (e.g. after a disconnect); report it if there was one."""
        self._resync = False
        self._joined_at = None
        self._tail.clear()
        dropped: list[Outcome] = []
        if self._overflowed:
            dropped.append(Rejected(Reject.OVERFLOW, bytes(self._buffer)))
        elif self._buffer:
            dropped.append(Partial(bytes(self._buffer)))
        self._buffer.clear()
        self._overflowed = False
        return dropped
