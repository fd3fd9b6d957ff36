"""One ZVT command's exchange: what the terminal sent back, and what it comes to.

`ZvtTerminal` fills an `Exchange` while it runs a command; `transaction_outcome` turns
it into Approved / Declined / Aborted / Unknown by the rules in `outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.pinpad.zvt import messages as msg
from drivers.pinpad.zvt.codes import RESULT_ABORTED, result_text
from drivers.pinpad.zvt.outcome import (
    Aborted,
    Approved,
    Declined,
    Receipt,
    ReceiptKind,
    TransactionOutcome,
    Unknown,
)


class ReceiptCollector:
    """Print lines and text blocks, collected into receipts.

    Text blocks (06 D3) say their kind (TLV 1F07). Print lines (06 D1) do not: a line
    with the "last line" attribute closes a receipt, and receipts come merchant first
    unless the ECR asked otherwise (receipt parameter 1F04 "customer receipt before
    merchant receipt", Wireshark packet-zvt.c), so their kind follows that order.
    """

    def __init__(self, line_kinds: tuple[ReceiptKind, ...]) -> None:
        self._kinds = line_kinds
        self._receipts: list[Receipt] = []
        self._open: list[str] = []
        self._line_blocks = 0

    def line(self, line: msg.PrintLine) -> None:
        if line.line_feeds:
            self._open += [""] * line.line_feeds
            return
        self._open.append(line.text)
        if line.is_last:
            self._close()

    def block(self, block: msg.PrintTextBlock) -> None:
        self._close()
        kinds: dict[int | None, ReceiptKind] = {
            msg.RECEIPT_MERCHANT: "merchant",
            msg.RECEIPT_CUSTOMER: "customer",
            msg.RECEIPT_ADMINISTRATION: "administration",
        }
        self._receipts.append(Receipt(kinds.get(block.receipt_type, "unknown"), block.lines))

    def _close(self) -> None:
        if not self._open:
            return
        kind = self._kinds[self._line_blocks] if self._line_blocks < len(self._kinds) else "unknown"
        self._receipts.append(Receipt(kind, tuple(self._open)))
        self._open = []
        self._line_blocks += 1

    def result(self) -> tuple[Receipt, ...]:
        self._close()
        return tuple(self._receipts)


PAYMENT_RECEIPTS: tuple[ReceiptKind, ...] = ("merchant", "customer")
ADMIN_RECEIPTS: tuple[ReceiptKind, ...] = ("administration",)


@dataclass
class Exchange:
    """Everything one command brought back."""

    receipts: ReceiptCollector
    refused: int | None = None
    infos: list[msg.StatusInformation] = field(default_factory=list)
    completion: msg.Completion | None = None
    abort: msg.Abort | None = None
    failure: str | None = None
    garbled: int = 0
    garbled_status: bool = False
    abort_sent: bool = False

    @property
    def info(self) -> msg.StatusInformation | None:
        """The status information that carries a result code (the last one), if any."""
        for info in reversed(self.infos):
            if info.result_code is not None:
                return info
        return self.infos[-1] if self.infos else None


def transaction_outcome(ex: Exchange, requested: int | None, currency: int) -> TransactionOutcome:
    """Approved only on a 00 status followed by 06 0F; Unknown whenever in doubt."""
    receipts = ex.receipts.result()
    info = ex.info
    if ex.refused is not None:
        code = ex.refused
        return Declined(code, result_text(code), refused_command=True)
    if ex.garbled_status and (ex.completion is not None or ex.abort is not None):
        return Unknown("a status information 04 0F could not be decoded", info, receipts)
    if ex.completion is not None:
        if info is None or info.result_code is None:
            return Unknown("completion 06 0F without a result code in 04 0F", info, receipts)
        if info.result_code != 0:
            code = info.result_code
            return Declined(code, result_text(code), receipts=receipts, info=info)
        amount = info.amount_minor if info.amount_minor is not None else requested
        return Approved(
            amount_minor=amount or 0,
            currency=info.currency or currency,
            trace=info.trace,
            receipt_no=info.receipt_no,
            masked_pan=info.masked_pan,
            card_type=info.card_type,
            card_name=info.card_name,
            terminal_id=info.terminal_id,
            date=info.date,
            time=info.time,
            reference=info.additional_text,
            original_trace=info.original_trace,
            receipts=receipts,
        )
    if ex.abort is not None:
        code = ex.abort.result_code
        if info is not None and info.result_code == 0:
            return Unknown(
                f"terminal ended with abort {code:02X} ({result_text(code)}) after "
                "reporting approval",
                info,
                receipts,
            )
        if code == RESULT_ABORTED or ex.abort_sent:
            return Aborted(code, result_text(code), receipts)
        return Declined(code, result_text(code), receipts=receipts, info=info)
    return Unknown(ex.failure or "the terminal gave no outcome", info, receipts)
