"""ESC/POS real-time status: the one byte a printer answers to `DLE EOT n` (10 04 n).

Bit meanings (Epson ESC/POS command reference, "DLE EOT n", confirmed against the
TM-series and compatible manuals; PROTOCOLS.md "Receipt printer: ESC/POS"):

- every reply has bit 1 and bit 4 set and bit 0 and bit 7 clear (mask 0x93 == 0x12);
  that is how a status byte is told apart from XON (0x11), XOFF (0x13) and noise;
- n=1 printer status: bit 2 drawer connector pin 3 high, bit 3 offline,
  bit 5 waiting for online recovery, bit 6 paper feed button pressed;
- n=2 offline cause: bit 2 cover open, bit 3 paper being fed by the feed button,
  bit 5 printing stopped by paper end, bit 6 error occurred;
- n=3 error cause: bit 2 mechanical error (some models), bit 3 autocutter error,
  bit 5 unrecoverable error, bit 6 automatically recoverable error (e.g. head hot);
- n=4 roll paper sensor: bits 2-3 near end, bits 5-6 paper end (both bits of a pair
  are set together on Epson; some compatibles set only one, so either counts).

python-escpos's own `is_online`/`paper_status` compare whole bytes against masks and
cannot tell a fault from noise, so the parsing here is by hand and strict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drivers.printer.errors import InvalidStatusByte

DLE = 0x10
EOT = 0x04

#: `DLE EOT n` request for n = 1..4.
STATUS_REQUESTS: dict[int, bytes] = {n: bytes((DLE, EOT, n)) for n in (1, 2, 3, 4)}

FIXED_MASK = 0x93  # bits 0, 1, 4, 7
FIXED_VALUE = 0x12  # bits 1 and 4 set, bits 0 and 7 clear

_BIT2 = 0x04
_BIT3 = 0x08
_BIT5 = 0x20
_BIT6 = 0x40
_NEAR_END_BITS = 0x0C
_PAPER_END_BITS = 0x60


def is_status_byte(value: int) -> bool:
    """True when `value` has the fixed bits every `DLE EOT` reply carries."""
    return 0 <= value <= 0xFF and value & FIXED_MASK == FIXED_VALUE


def _checked(n: int, value: int) -> int:
    if not is_status_byte(value):
        raise InvalidStatusByte(n, value)
    return value


@dataclass(frozen=True, slots=True)
class PrinterByte:
    """Reply to `DLE EOT 1`."""

    offline: bool
    drawer_pin3_high: bool
    waiting_online_recovery: bool
    feed_button_pressed: bool

    @classmethod
    def parse(cls, value: int) -> PrinterByte:
        """Decode the byte; raises `InvalidStatusByte` unless the fixed bits are right."""
        v = _checked(1, value)
        return cls(
            offline=bool(v & _BIT3),
            drawer_pin3_high=bool(v & _BIT2),
            waiting_online_recovery=bool(v & _BIT5),
            feed_button_pressed=bool(v & _BIT6),
        )


@dataclass(frozen=True, slots=True)
class OfflineCause:
    """Reply to `DLE EOT 2`."""

    cover_open: bool
    feeding_by_button: bool
    paper_end_stop: bool
    error: bool

    @classmethod
    def parse(cls, value: int) -> OfflineCause:
        """Decode the byte; raises `InvalidStatusByte` unless the fixed bits are right."""
        v = _checked(2, value)
        return cls(
            cover_open=bool(v & _BIT2),
            feeding_by_button=bool(v & _BIT3),
            paper_end_stop=bool(v & _BIT5),
            error=bool(v & _BIT6),
        )


@dataclass(frozen=True, slots=True)
class ErrorCause:
    """Reply to `DLE EOT 3`."""

    mechanical_error: bool
    cutter_error: bool
    unrecoverable_error: bool
    auto_recoverable_error: bool

    @classmethod
    def parse(cls, value: int) -> ErrorCause:
        """Decode the byte; raises `InvalidStatusByte` unless the fixed bits are right."""
        v = _checked(3, value)
        return cls(
            mechanical_error=bool(v & _BIT2),
            cutter_error=bool(v & _BIT3),
            unrecoverable_error=bool(v & _BIT5),
            auto_recoverable_error=bool(v & _BIT6),
        )


@dataclass(frozen=True, slots=True)
class PaperSensor:
    """Reply to `DLE EOT 4`."""

    near_end: bool
    paper_end: bool

    @classmethod
    def parse(cls, value: int) -> PaperSensor:
        """Decode the byte; raises `InvalidStatusByte` unless the fixed bits are right."""
        v = _checked(4, value)
        return cls(near_end=bool(v & _NEAR_END_BITS), paper_end=bool(v & _PAPER_END_BITS))


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """The printer's condition from the four `DLE EOT` replies (n = 1, 2, 3, 4)."""

    printer: PrinterByte
    offline_cause: OfflineCause
    error_cause: ErrorCause
    paper: PaperSensor
    raw: bytes  # the four reply bytes, n = 1..4, for logs and `--json`

    @classmethod
    def from_bytes(cls, replies: bytes) -> PrinterStatus:
        """Parse the replies to `DLE EOT 1`, `2`, `3` and `4`, in that order.

        Raises `InvalidStatusByte` for the first byte without the fixed bits and
        `ValueError` when not exactly four bytes are given.
        """
        if len(replies) != 4:
            raise ValueError(f"expected 4 status bytes (DLE EOT 1..4), got {len(replies)}")
        return cls(
            printer=PrinterByte.parse(replies[0]),
            offline_cause=OfflineCause.parse(replies[1]),
            error_cause=ErrorCause.parse(replies[2]),
            paper=PaperSensor.parse(replies[3]),
            raw=bytes(replies),
        )

    @property
    def online(self) -> bool:
        return not self.printer.offline

    @property
    def cover_open(self) -> bool:
        return self.offline_cause.cover_open

    @property
    def paper_end(self) -> bool:
        # The paper-end stop (n=2) and the end sensor (n=4) both mean "no paper".
        return self.paper.paper_end or self.offline_cause.paper_end_stop

    @property
    def paper_near_end(self) -> bool:
        return self.paper.near_end

    @property
    def feed_button(self) -> bool:
        return self.printer.feed_button_pressed or self.offline_cause.feeding_by_button

    @property
    def cutter_error(self) -> bool:
        return self.error_cause.cutter_error

    @property
    def unrecoverable_error(self) -> bool:
        return self.error_cause.unrecoverable_error

    @property
    def auto_recoverable_error(self) -> bool:
        return self.error_cause.auto_recoverable_error

    def as_dict(self) -> dict[str, bool | str]:
        """Flat JSON-ready view, as `kiosk printer status --json` prints it."""
        return {
            "online": self.online,
            "cover_open": self.cover_open,
            "paper_end": self.paper_end,
            "paper_near_end": self.paper_near_end,
            "feed_button": self.feed_button,
            "cutter_error": self.cutter_error,
            "mechanical_error": self.error_cause.mechanical_error,
            "unrecoverable_error": self.unrecoverable_error,
            "auto_recoverable_error": self.auto_recoverable_error,
            "drawer_pin3_high": self.printer.drawer_pin3_high,
            "raw": self.raw.hex(" "),
        }


class NotReady(enum.StrEnum):
    """Why a receipt cannot be printed now; the checkout refuses payment on any of them."""

    NO_ANSWER = "no_answer"
    INVALID_ANSWER = "invalid_answer"
    PAPER_END = "paper_end"
    COVER_OPEN = "cover_open"
    CUTTER_ERROR = "cutter_error"
    UNRECOVERABLE_ERROR = "unrecoverable_error"
    AUTO_RECOVERABLE_ERROR = "auto_recoverable_error"
    OFFLINE = "offline"


_ADVICE: dict[NotReady, str] = {
    NotReady.NO_ANSWER: "printer does not answer: check power and cable",
    NotReady.INVALID_ANSWER: "printer answers garbage: check the port settings (baud rate)",
    NotReady.PAPER_END: "paper roll is empty: load a new roll",
    NotReady.COVER_OPEN: "printer cover is open: close it",
    NotReady.CUTTER_ERROR: "autocutter jammed: clear the cutter and close the cover",
    NotReady.UNRECOVERABLE_ERROR: "printer reports an unrecoverable error: power-cycle it",
    NotReady.AUTO_RECOVERABLE_ERROR: "printer paused (e.g. print head hot): wait",
    NotReady.OFFLINE: "printer is offline",
}


@dataclass(frozen=True, slots=True)
class Readiness:
    """Answer of the pre-payment check: may the kiosk take money and print a receipt?"""

    ok: bool
    reason: NotReady | None = None
    detail: str = ""
    warnings: tuple[str, ...] = ()
    status: PrinterStatus | None = None

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def refused(
        cls, reason: NotReady, detail: str = "", status: PrinterStatus | None = None
    ) -> Readiness:
        return cls(ok=False, reason=reason, detail=detail or _ADVICE[reason], status=status)


def readiness(status: PrinterStatus) -> Readiness:
    """Decide from a status whether a receipt can be printed now.

    Order matters: the most specific, actionable cause is reported (paper end before
    the generic "offline" it also causes). Paper near end is a warning, not a refusal.
    """
    checks: tuple[tuple[bool, NotReady], ...] = (
        (status.paper_end, NotReady.PAPER_END),
        (status.cover_open, NotReady.COVER_OPEN),
        (status.cutter_error, NotReady.CUTTER_ERROR),
        (status.unrecoverable_error, NotReady.UNRECOVERABLE_ERROR),
        (status.auto_recoverable_error, NotReady.AUTO_RECOVERABLE_ERROR),
        (not status.online, NotReady.OFFLINE),
    )
    for failed, reason in checks:
        if failed:
            return Readiness.refused(reason, status=status)
    warnings = ("paper near end: replace the roll soon",) if status.paper_near_end else ()
    return Readiness(ok=True, warnings=warnings, status=status)
