"""The sale record: what a paid transaction leaves behind for head office and reprints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.pricing import PricedBasket
from kiosk.domain.transaction import Line, Payment, Status, Transaction
from kiosk.errors import TransitionError


@dataclass(frozen=True, slots=True)
class Sale:
    tx_id: str
    store_id: str
    kiosk_id: str
    started_at: datetime
    completed_at: datetime
    lines: tuple[Line, ...]
    priced: PricedBasket
    payments: tuple[Payment, ...]
    member_id: str | None

    @property
    def total_minor(self) -> int:
        return self.priced.total_minor


def sale_from_transaction(
    state: Transaction, *, store_id: str, kiosk_id: str, completed_at: datetime
) -> Sale:
    """Build the sale record of a transaction that has just been paid in full."""
    if state.status is not Status.PAID or state.tx_id is None or state.priced is None:
        raise TransitionError(f"no paid transaction to record (state {state.status.value})")
    assert state.started_at is not None
    return Sale(
        tx_id=state.tx_id,
        store_id=store_id,
        kiosk_id=kiosk_id,
        started_at=state.started_at,
        completed_at=completed_at,
        lines=state.active_lines,
        priced=state.priced,
        payments=tuple(p for p in state.payments if p.status == "succeeded"),
        member_id=state.member_id,
    )


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """A settled refund, for head office (outbox) and the end-of-day report."""

    refund_id: str
    tx_id: str
    intent_id: str
    method: str
    amount_minor: int
    attendant_id: str
    reference: str
    refunded_at: datetime
