"""MT-SICS (Mettler-Toledo Standard Interface Command Set): lines <-> replies. Pure.

PROTOCOLS.md "Scales", confirmed against the MT-SICS reference manual and peer
drivers: 9600 8N1, every command and reply ends with CR LF.

    S    -> "S S <value> <unit>" stable | "S I" busy | "S +" overload | "S -" underload
    SI   -> as S, plus "S D <value> <unit>" while dynamic (in motion)
    SIR  -> SI repeated until another command (continuous mode)
    Z    -> "Z A" done | "Z I" not executable | "Z +"/"Z -" outside the zero range
    T    -> "T S <tare> <unit>" done | "T I" | "T +" | "T -"
    TAC  -> "TAC A" tare cleared
    any  -> "ES" syntax error | "ET" transmission error | "EL" logical error
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from drivers.errors import ScaleProtocolError
from drivers.scale.events import ScaleStatus

CRLF = b"\r\n"
CMD_STABLE = b"S\r\n"
CMD_IMMEDIATE = b"SI\r\n"
CMD_REPEAT_IMMEDIATE = b"SIR\r\n"
CMD_ZERO = b"Z\r\n"
CMD_TARE = b"T\r\n"
CMD_CLEAR_TARE = b"TAC\r\n"
CMD_RESET = b"@\r\n"

MAX_LINE = 80
_GRAMS_PER_UNIT = {"g": Decimal(1), "kg": Decimal(1000), "mg": Decimal("0.001")}
_NUMBER = re.compile(r"[-+]?[0-9]{1,9}(?:\.[0-9]{1,6})?")
_COMMAND_ID = re.compile(r"[A-Z][A-Z0-9]{0,3}|@")

ERRORS = {
    "ES": "syntax error: the scale did not recognise the command",
    "ET": "transmission error: the scale received a garbled command",
    "EL": "logical error: the command cannot be executed",
}
_STATUS_DETAIL = {
    "I": "command not executable now (busy or not stable in time)",
    "+": "overload (above the weighing range)",
    "-": "underload (below the weighing range, e.g. pan removed)",
    "L": "logical error (parameter not allowed)",
}


@dataclass(frozen=True, slots=True)
class SicsReply:
    """One reply line: `command` ("S", "Z", "T", "TAC", "ES"...), `status` ("S", "D",
    "A", "I", "+", "-"; "" for ES/ET/EL), and for weight replies `grams` and `unit`."""

    command: str
    status: str
    grams: int | None = None
    unit: str = ""
    text: str = ""

    @property
    def is_error(self) -> bool:
        return self.command in ERRORS

    @property
    def is_weight(self) -> bool:
        return self.command == "S"

    def scale_status(self) -> tuple[ScaleStatus, bool, str]:
        """(status, stable, detail) for a weight or error reply."""
        if self.is_error:
            return ScaleStatus.ERROR, False, f"{self.command}: {ERRORS[self.command]}"
        if self.status == "S":
            return ScaleStatus.OK, True, ""
        if self.status == "D":
            return ScaleStatus.OK, False, ""
        if self.status in ("+", "-") and self.command != "S":
            side = "above" if self.status == "+" else "below"
            what = "zero" if self.command.startswith("Z") else "tare"
            return ScaleStatus.ZERO_ERROR, False, f"load {side} the {what} range"
        if self.status == "+":
            return ScaleStatus.OVERLOAD, False, _STATUS_DETAIL["+"]
        if self.status == "-":
            return ScaleStatus.UNDERLOAD, False, _STATUS_DETAIL["-"]
        if self.status == "I":
            return ScaleStatus.BUSY, False, _STATUS_DETAIL["I"]
        return ScaleStatus.ERROR, False, _STATUS_DETAIL.get(self.status, f"status {self.status}")


@dataclass(frozen=True, slots=True)
class SicsGarbage:
    raw: bytes
    reason: str


SicsOutcome = SicsReply | SicsGarbage


def to_grams(value: str, unit: str) -> int:
    """'1.234', 'kg' -> 1234; rounds half up to whole grams."""
    if unit not in _GRAMS_PER_UNIT:
        raise ScaleProtocolError(f"MT-SICS unit {unit!r} is not g, kg or mg")
    if not _NUMBER.fullmatch(value):
        raise ScaleProtocolError(f"MT-SICS value {value!r} is not a number")
    try:
        grams = Decimal(value) * _GRAMS_PER_UNIT[unit]
    except InvalidOperation:  # pragma: no cover - guarded by the regex
        raise ScaleProtocolError(f"MT-SICS value {value!r} is not a number") from None
    return int(grams.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_line(line: bytes) -> SicsReply:
    """Parse one reply line without its CR LF; raise `ScaleProtocolError` if invalid."""
    if not line or any(not 0x20 <= b <= 0x7E for b in line):
        raise ScaleProtocolError(f"MT-SICS line {line!r} is empty or not printable ASCII")
    text = line.decode("ascii")
    fields = text.split()
    if not fields or not _COMMAND_ID.fullmatch(fields[0]):
        raise ScaleProtocolError(f"MT-SICS line {text!r} does not start with a command")
    command = fields[0]
    if command in ERRORS:
        if len(fields) != 1:
            raise ScaleProtocolError(f"MT-SICS error line {text!r} has extra fields")
        return SicsReply(command, "", text=text)
    if len(fields) < 2:
        raise ScaleProtocolError(f"MT-SICS line {text!r} has no status")
    status = fields[1]
    if command == "S":
        if status in ("S", "D"):
            if len(fields) != 4:
                raise ScaleProtocolError(f"MT-SICS weight line {text!r} is not 'S S value unit'")
            return SicsReply("S", status, to_grams(fields[2], fields[3]), fields[3], text)
        if status in ("I", "+", "-") and len(fields) == 2:
            return SicsReply("S", status, text=text)
        raise ScaleProtocolError(f"MT-SICS weight line {text!r} has an unknown status")
    if command == "T" and status == "S":
        if len(fields) != 4:
            raise ScaleProtocolError(f"MT-SICS tare line {text!r} is not 'T S value unit'")
        return SicsReply("T", "S", to_grams(fields[2], fields[3]), fields[3], text)
    if status not in ("A", "I", "+", "-", "L", "B", "C"):
        raise ScaleProtocolError(f"MT-SICS line {text!r} has an unknown status {status!r}")
    return SicsReply(command, status, text=text)


class SicsDecoder:
    """Splits a byte stream into CR LF lines (a lone LF is accepted) and parses them."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._overflow = False

    def feed(self, data: bytes) -> list[SicsOutcome]:
        out: list[SicsOutcome] = []
        for byte in data:
            if byte == 0x0A:
                line = bytes(self._line).removesuffix(b"\r")
                overflow, self._overflow = self._overflow, False
                self._line.clear()
                if overflow:
                    out.append(SicsGarbage(line, "line too long"))
                elif line:
                    try:
                        out.append(parse_line(line))
                    except ScaleProtocolError as exc:
                        out.append(SicsGarbage(line, str(exc)))
                continue
            if self._overflow:
                continue
            self._line.append(byte)
            if len(self._line) > MAX_LINE:
                self._overflow = True
        return out

    def reset(self) -> list[SicsOutcome]:
        out: list[SicsOutcome] = []
        if self._line or self._overflow:
            out.append(SicsGarbage(bytes(self._line), "partial line"))
        self._line.clear()
        self._overflow = False
        return out


def encode_weight(status: str, grams: int, *, unit: str = "kg") -> bytes:
    """A weight reply line as a balance formats it (simulator): b"S S      1.250 kg\\r\\n"."""
    if unit == "kg":
        value = f"{Decimal(grams) / 1000:.3f}"
    elif unit == "g":
        value = str(grams)
    else:
        raise ValueError(f"unsupported unit {unit!r}")
    return f"S {status} {value:>10} {unit}".encode("ascii") + CRLF
