"""End-of-day settlement report per kiosk: what the journal says was taken, per method.

Read from the sale records (the same rows the outbox sends to head office), so the
report and head office can never disagree. With a card terminal, its own end-of-day
total is set beside the journal's card total and any difference is flagged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from kiosk.domain.money import Money
from kiosk.store.journal import Journal


@dataclass(frozen=True, slots=True)
class MethodTotal:
    method: str
    payments: int
    amount: Money


@dataclass(frozen=True, slots=True)
class Settlement:
    kiosk_id: str
    day: date
    currency: str
    sales: int
    total: Money
    methods: tuple[MethodTotal, ...]
    refunds: tuple[MethodTotal, ...] = ()
    terminal_card_total: Money | None = None

    @property
    def refunded(self) -> Money:
        return sum((m.amount for m in self.refunds), Money.zero(self.currency))

    @property
    def card_total(self) -> Money:
        return sum(
            (m.amount for m in self.methods if m.method == "card"), Money.zero(self.currency)
        )

    @property
    def card_difference(self) -> Money | None:
        """Terminal minus journal for cards: anything but zero needs an attendant."""
        if self.terminal_card_total is None:
            return None
        return self.terminal_card_total - self.card_total


def settlement_report(journal: Journal, kiosk_id: str, day: date, currency: str) -> Settlement:
    """Totals of the sales completed on `day` (the kiosk's local date), per payment method."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, int] = defaultdict(int)
    sales = 0
    total = 0
    for sale in journal.sales_completed_on(day):
        sales += 1
        total += sale.total_minor
        for payment in sale.payments:
            counts[payment.method] += 1
            amounts[payment.method] += payment.amount_minor
    refund_counts: dict[str, int] = defaultdict(int)
    refund_amounts: dict[str, int] = defaultdict(int)
    for refund in journal.refunds_on(day):
        refund_counts[refund.method] += 1
        refund_amounts[refund.method] += refund.amount_minor
    return Settlement(
        kiosk_id,
        day,
        currency,
        sales,
        Money(total, currency),
        _totals(counts, amounts, currency),
        _totals(refund_counts, refund_amounts, currency),
    )


def _totals(counts: dict[str, int], amounts: dict[str, int], code: str) -> tuple[MethodTotal, ...]:
    return tuple(MethodTotal(m, counts[m], Money(amounts[m], code)) for m in sorted(counts))
