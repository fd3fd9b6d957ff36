"""The attendant's refund desk on a lane: find the sale, refund a payment, settle it.

An attendant with the refund permission opens the desk from the attendant panel
(between shoppers), scans the QR code on the shopper's receipt ("TX:<id>", see
kiosk.domain.receipt) or picks one of the lane's last sales, and refunds what is left
of a payment to the method it was paid by (card through the terminal, WeChat Pay or
Alipay through the provider). The refund is journalled before the provider hears of
it (Checkout.begin_refund); the provider call runs on the payment thread; an outcome
that cannot be known yet leaves the refund pending: the lane takes no shopper until
the attendant retries it and it is settled (or the kiosk restarts and asks again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.checkout import Checkout
from kiosk.domain.receipt import RETURNS_QR_PREFIX
from kiosk.domain.sale import Sale
from kiosk.lane_paying import StartPayment, Tell
from kiosk.lane_view import RefundPaymentView, RefundSaleView, RefundView, money_text
from kiosk.payment.provider import PaymentMethods, PaymentOutcome

log = logging.getLogger(__name__)

RECENT_SALES = 6  # how many of the lane's last sales the desk offers to pick


class RefundDesk:
    """Worker thread only; provider calls go through `start_payment`."""

    def __init__(
        self,
        checkout: Checkout,
        payments: PaymentMethods,
        *,
        start_payment: StartPayment,
        tell: Tell,
    ) -> None:
        self._checkout = checkout
        self._payments = payments
        self._start_payment = start_payment
        self._tell = tell
        self.active = False
        self._sale: Sale | None = None
        self._busy = False

    # ------------------------------------------------------------ actions

    def open(self) -> None:
        self.active = True
        self._sale = None

    def close(self) -> None:
        self.active = False
        self._sale = None

    def scan(self, data: str) -> None:
        """A scan while the desk is open: the receipt's returns QR code."""
        if not data.startswith(RETURNS_QR_PREFIX):
            return self._tell("refund_scan_receipt")
        self.choose(data[len(RETURNS_QR_PREFIX) :])
        return None

    def choose(self, tx_id: str) -> None:
        sale = self._checkout.journal.sale(tx_id)
        if sale is None:
            self._tell("refund_no_sale", tx_id)
            return
        self._sale = sale

    def refund(self, intent_id: str, attendant_id: str) -> None:
        """Refund what is left of one payment of the chosen sale."""
        sale = self._sale
        if sale is None or self._busy:
            return None
        refundable = self._checkout.refundable(sale)
        found = [(p, left) for p, left in refundable if p.intent_id == intent_id]
        if not found:
            return self._tell("refund_no_sale", intent_id)
        ((payment, amount),) = found
        if amount <= 0:
            return self._tell("refund_nothing_left")
        provider = self._payments.refund_provider(payment.method)
        started = self._checkout.begin_refund(
            payment.method,
            tx_id=sale.tx_id,
            intent_id=intent_id,
            amount_minor=amount,
            attendant_id=attendant_id,
        )
        self._send(lambda: provider.refund(intent_id, started.refund_id, amount))
        log.info(
            "refund sent",
            extra={"tx": sale.tx_id, "method": payment.method, "amount": amount},
        )
        return None

    def retry(self) -> None:
        """Ask the provider again about the pending refund (refunds repeat safely)."""
        pending = self._checkout.state.pending_refund
        if pending is None or self._busy:
            return
        provider = self._payments.refund_provider(pending.method)
        self._send(
            lambda: provider.refund(pending.intent_id, pending.refund_id, pending.amount_minor)
        )

    def boot(self) -> None:
        """At start-up: a refund left pending by a power cut is asked about first (the
        lane takes no shopper until it is settled)."""
        if self._checkout.state.pending_refund is not None:
            self.retry()

    def _send(self, call: Callable[[], PaymentOutcome]) -> None:
        self._busy = True
        self._start_payment(call, self._settle)

    def _settle(self, outcome: PaymentOutcome) -> None:
        self._busy = False
        pending = self._checkout.state.pending_refund
        if pending is None:
            return
        self._checkout.settle_refund(pending.refund_id, outcome)
        if outcome.status == "approved":
            self._tell("refund_done", outcome.reference, error=False)
        elif outcome.status in ("declined", "not_found"):
            self._tell("refund_declined", outcome.reason or outcome.status)
        else:
            self._tell("refund_unresolved", outcome.reason)

    # ------------------------------------------------------------ view

    def view(self, locale: str) -> RefundView | None:
        if not self.active and self._checkout.state.pending_refund is None:
            return None
        journal = self._checkout.journal
        recent = tuple(
            _sale_view(sale, locale)
            for tx_id in reversed(journal.sale_ids()[-RECENT_SALES:])
            if (sale := journal.sale(tx_id)) is not None
        )
        sale = self._sale
        payments: tuple[RefundPaymentView, ...] = ()
        if sale is not None:
            sale = journal.sale(sale.tx_id) or sale
            payments = tuple(
                RefundPaymentView(
                    p.intent_id,
                    p.method,
                    money_text(p.amount_minor, sale.priced.currency, locale),
                    money_text(left, sale.priced.currency, locale),
                    left,
                )
                for p, left in self._checkout.refundable(sale)
            )
        pending = self._checkout.state.pending_refund
        unresolved = None
        if pending is not None and not self._busy:
            currency = self._checkout.config.store.currency
            unresolved = money_text(pending.amount_minor, currency, locale)
        return RefundView(
            recent=recent,
            sale=None if sale is None else _sale_view(sale, locale),
            payments=payments,
            busy=self._busy,
            unresolved=unresolved,
        )


def _sale_view(sale: Sale, locale: str) -> RefundSaleView:
    return RefundSaleView(
        sale.tx_id,
        sale.completed_at.strftime("%m-%d %H:%M"),
        money_text(sale.total_minor, sale.priced.currency, locale),
    )
