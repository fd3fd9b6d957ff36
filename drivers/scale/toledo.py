"""Toledo 8217 (Mettler-Toledo weight-only POS protocol): bytes <-> readings. Pure.

PROTOCOLS.md "Scales", confirmed against the Mettler-Toledo scale service manuals and
peer POS projects: 9600 baud 7E1; the host sends `W`; the scale answers
`STX <weight> CR` (kg with a decimal point, e.g. "01.250"; an optional trailing "N"
marks a net weight) when it has a stable weight, or `STX ? <status> CR` when it cannot
give one. `Z` zeroes, `T` tares, `C` clears the tare; none is answered.

Status byte bits (bit 7 is the parity bit on the wire, bit 6 is always 1):
0 in motion, 1 over capacity, 2 under zero, 3 outside zero capture range,
4 centre of zero, 5 net weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from drivers.errors import ScaleProtocolError
from drivers.scale.events import ScaleStatus

STX = 0x02
CR = 0x0D
WEIGHT_REQUEST = b"W"
ZERO = b"Z"
TARE = b"T"
CLEAR_TARE = b"C"

BIT_MOTION = 0x01
BIT_OVER_CAPACITY = 0x02
BIT_UNDER_ZERO = 0x04
BIT_OUTSIDE_ZERO_CAPTURE = 0x08
BIT_CENTER_OF_ZERO = 0x10
BIT_NET = 0x20
BIT_ALWAYS_ONE = 0x40

MAX_FRAME = 12  # STX + up to 10 characters + CR; anything longer is noise
_WEIGHT = re.compile(r" *([0-9]{1,6}(?:\.[0-9]{1,3})?)(N?)")


@dataclass(frozen=True, slots=True)
class ToledoWeight:
    grams: int
    net: bool


@dataclass(frozen=True, slots=True)
class ToledoStatus:
    bits: int

    @property
    def status(self) -> ScaleStatus:
        if self.bits & BIT_OVER_CAPACITY:
            return ScaleStatus.OVERLOAD
        if self.bits & BIT_UNDER_ZERO:
            return ScaleStatus.UNDER_ZERO
        if self.bits & BIT_OUTSIDE_ZERO_CAPTURE:
            return ScaleStatus.ZERO_ERROR
        if self.bits & BIT_MOTION:
            return ScaleStatus.IN_MOTION
        return ScaleStatus.ERROR

    @property
    def detail(self) -> str:
        names = [
            name
            for bit, name in (
                (BIT_MOTION, "in motion"),
                (BIT_OVER_CAPACITY, "over capacity"),
                (BIT_UNDER_ZERO, "under zero"),
                (BIT_OUTSIDE_ZERO_CAPTURE, "outside zero capture range"),
                (BIT_CENTER_OF_ZERO, "centre of zero"),
                (BIT_NET, "net"),
            )
            if self.bits & bit
        ]
        return f"status 0x{self.bits:02X}" + (f": {', '.join(names)}" if names else "")


@dataclass(frozen=True, slots=True)
class ToledoGarbage:
    raw: bytes
    reason: str


ToledoReply = ToledoWeight | ToledoStatus
ToledoOutcome = ToledoWeight | ToledoStatus | ToledoGarbage


def kg_text_to_grams(text: str) -> int:
    """'01.250' (kg) -> 1250; at most 3 decimals, so never a fraction of a gram."""
    return int((Decimal(text) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_frame(body: bytes) -> ToledoReply:
    """Parse what stands between STX and CR; raise `ScaleProtocolError` if invalid."""
    body = bytes(b & 0x7F for b in body)  # bit 7 is parity when read as 8 data bits
    if body[:1] == b"?":
        if len(body) != 2:
            raise ScaleProtocolError(f"Toledo status frame {body!r} is not '?' + one byte")
        bits = body[1]
        if not bits & BIT_ALWAYS_ONE:
            raise ScaleProtocolError(f"Toledo status byte 0x{bits:02X} lacks bit 6 (always 1)")
        return ToledoStatus(bits & 0x3F)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:  # pragma: no cover - masked to 7 bits above
        raise ScaleProtocolError(f"Toledo weight frame {body!r} is not ASCII") from None
    match = _WEIGHT.fullmatch(text)
    if match is None:
        raise ScaleProtocolError(f"Toledo weight frame {text!r} is not a weight")
    return ToledoWeight(kg_text_to_grams(match.group(1)), net=match.group(2) == "N")


class ToledoDecoder:
    """Finds `STX ... CR` frames in a byte stream; everything else is counted garbage."""

    def __init__(self) -> None:
        self._frame: bytearray | None = None
        self._junk = bytearray()

    def feed(self, data: bytes) -> list[ToledoOutcome]:
        out: list[ToledoOutcome] = []
        for raw in data:
            byte = raw & 0x7F
            if byte == STX:
                if self._frame is not None:
                    out.append(ToledoGarbage(bytes(self._frame), "frame restarted by STX"))
                self._flush_junk(out)
                self._frame = bytearray()
            elif self._frame is None:
                self._junk.append(raw)
            elif byte == CR:
                body, self._frame = bytes(self._frame), None
                try:
                    out.append(parse_frame(body))
                except ScaleProtocolError as exc:
                    out.append(ToledoGarbage(body, str(exc)))
            else:
                self._frame.append(raw)
                if len(self._frame) > MAX_FRAME - 2:
                    out.append(ToledoGarbage(bytes(self._frame), "frame too long"))
                    self._frame = None
        return out

    def _flush_junk(self, out: list[ToledoOutcome]) -> None:
        if self._junk:
            out.append(ToledoGarbage(bytes(self._junk), "bytes outside a frame"))
            self._junk.clear()

    def reset(self) -> list[ToledoOutcome]:
        """Drop a partial frame (timeout, reconnect); report what was dropped."""
        out: list[ToledoOutcome] = []
        if self._frame is not None:
            out.append(ToledoGarbage(bytes(self._frame), "partial frame"))
            self._frame = None
        self._flush_junk(out)
        return out


def encode_weight(grams: int, *, net: bool = False) -> bytes:
    """The scale's answer for a stable weight (used by the simulator): STX 01.250 CR."""
    if not 0 <= grams <= 999_999:
        raise ValueError(f"Toledo 8217 cannot send {grams} g")
    kg = Decimal(grams) / 1000
    return bytes([STX]) + f"{kg:06.3f}".encode("ascii") + (b"N" if net else b"") + bytes([CR])


def encode_status(bits: int) -> bytes:
    """The scale's answer when it has no weight: STX ? <status> CR."""
    return bytes([STX, ord("?"), BIT_ALWAYS_ONE | (bits & 0x3F), CR])
