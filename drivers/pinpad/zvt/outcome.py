"""What a card transaction came to: Approved, Declined, Aborted or Unknown.

A transaction is Approved only when the terminal sent status information with result
code 00 and then the completion 06 0F (PROTOCOLS.md: "A transaction is only final on
06 0F after a status 04 0F with result code 00"). Anything that leaves doubt — the link
lost, a timeout, an unreadable status, an abort after an approval — is Unknown, to be
resolved with `ZvtTerminal.repeat_receipt()` (or a reversal), never by guessing.

Card numbers here are masked (last 4 digits at most); receipts are the terminal's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drivers.pinpad.zvt.messages import StatusInformation, Totals

ReceiptKind = Literal["merchant", "customer", "administration", "unknown"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """One receipt the terminal asked the ECR to print, line by line."""

    kind: ReceiptKind
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Approved:
    """Approved and completed. For a reversal, `original_trace` names the reversed payment."""

    amount_minor: int
    currency: int  # ISO 4217 numeric (978 EUR, 156 CNY)
    trace: int | None
    receipt_no: int | None
    masked_pan: str | None
    card_type: int | None
    card_name: str | None
    terminal_id: str | None
    date: str | None  # MM-DD, terminal's clock
    time: str | None  # HH:MM:SS
    reference: str | None  # the ECR reference the terminal echoed (BMP 3C), if any
    original_trace: int | None = None
    receipts: tuple[Receipt, ...] = ()
    status: Literal["approved"] = "approved"

    @property
    def customer_receipt(self) -> Receipt | None:
        return _first(self.receipts, "customer")

    @property
    def merchant_receipt(self) -> Receipt | None:
        return _first(self.receipts, "merchant")


@dataclass(frozen=True, slots=True)
class Declined:
    """Not approved: refused by the terminal, the card or the host. Nothing was charged."""

    result_code: int
    text: str
    refused_command: bool = False  # 84 xx: the terminal did not even start
    receipts: tuple[Receipt, ...] = ()
    info: StatusInformation | None = None
    status: Literal["declined"] = "declined"

    @property
    def reference(self) -> str | None:
        """The ECR reference the terminal echoed (BMP 3C), as for `Approved.reference`."""
        return None if self.info is None else self.info.additional_text


@dataclass(frozen=True, slots=True)
class Aborted:
    """Stopped before approval: the shopper or the ECR pressed stop, or the terminal timed out."""

    result_code: int
    text: str
    receipts: tuple[Receipt, ...] = ()
    status: Literal["aborted"] = "aborted"


@dataclass(frozen=True, slots=True)
class Unknown:
    """The outcome is not known (link lost before 06 0F, timeout, unreadable status).

    `info` is the last status information seen, as evidence; it is not a result.
    """

    reason: str
    info: StatusInformation | None = None
    receipts: tuple[Receipt, ...] = ()
    status: Literal["unknown"] = "unknown"


TransactionOutcome = Approved | Declined | Aborted | Unknown


@dataclass(frozen=True, slots=True)
class EndOfDay:
    """A completed end-of-day (settlement): the total and the per-card totals."""

    total_minor: int
    currency: int | None
    trace: int | None
    date: str | None
    time: str | None
    totals: Totals | None
    receipts: tuple[Receipt, ...] = ()
    status: Literal["settled"] = "settled"


EndOfDayOutcome = EndOfDay | Declined | Aborted | Unknown


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """The answer to a status enquiry (05 01)."""

    code: int
    text: str
    software_version: str | None

    @property
    def ready(self) -> bool:
        return self.code == 0


@dataclass(frozen=True, slots=True)
class Registration:
    """The terminal accepted the registration (06 00) and answered 06 0F."""

    terminal_id: str | None
    currency: int | None
    status_byte: int | None


@dataclass(frozen=True, slots=True)
class IntermediateUpdate:
    """An intermediate status for the UI: what the terminal tells the shopper now."""

    code: int
    text: str
    timeout_s: int | None = None


@dataclass(frozen=True, slots=True)
class ZvtHealth:
    connected: bool
    busy: bool
    last_error: str | None
    commands: int
    retransmissions: int
    bad_frames: int
    garbled_messages: int


def _first(receipts: tuple[Receipt, ...], kind: ReceiptKind) -> Receipt | None:
    for receipt in receipts:
        if receipt.kind == kind:
            return receipt
    return None
