"""The real payment methods behind the one `PaymentProvider` interface.

- `CardProvider`: a ZVT card terminal (drivers.pinpad.zvt). The payment intent id
  travels as the ECR reference (BMP 3C), so after a lost link the terminal's last
  transaction (repeat receipt, 06 20) tells whether *this* intent was charged.
- `QrProvider`: WeChat Pay / Alipay micropay for one attempt with the shopper's
  payment code. The code lives only in this object's memory for the attempt; it is
  never journalled. After a restart `query` resolves the intent with the provider
  (query, poll a paying order to its bound, reverse what is still open).

Both answer `unknown` only when the outcome truly cannot be known yet; the checkout
then hands the intent to an attendant instead of guessing (SPEC section 5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.pinpad.zvt.outcome import Approved, IntermediateUpdate, Unknown
from drivers.pinpad.zvt.terminal import ZvtTerminal
from kiosk.payment.provider import PaymentOutcome
from kiosk.payment.qr import QrMicropayProvider

log = logging.getLogger(__name__)

Prompt = Callable[[str], None]


def _card_reference(outcome: Approved) -> str:
    # Only the card's last four digits: what a receipt may show (never the PAN).
    digits = "".join(c for c in (outcome.masked_pan or "") if c.isdigit())
    return f"**** {digits[-4:]}" if digits else "card"


class CardProvider:
    """Card payments through a ZVT terminal."""

    method = "card"

    def __init__(self, terminal: ZvtTerminal, prompt: Prompt | None = None) -> None:
        self._terminal = terminal
        self._prompt = prompt

    def _on_status(self, update: IntermediateUpdate) -> None:
        # "Karte einstecken", "PIN eingeben": relayed to the payment screen as they come.
        if self._prompt is not None:
            self._prompt(update.text)

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        outcome = self._terminal.authorize(
            amount_minor, reference=intent_id, on_status=self._on_status
        )
        if isinstance(outcome, Approved):
            if outcome.amount_minor != amount_minor:
                log.error(
                    "card terminal approved a different amount",
                    extra={"intent": intent_id, "asked": amount_minor, "got": outcome.amount_minor},
                )
                return PaymentOutcome("unknown", reason="terminal approved a different amount")
            return PaymentOutcome("approved", reference=_card_reference(outcome))
        if isinstance(outcome, Unknown):
            return PaymentOutcome("unknown", reason=outcome.reason)
        return PaymentOutcome("declined", reason=f"{outcome.result_code:02X} {outcome.text}")

    def query(self, intent_id: str) -> PaymentOutcome:
        """What became of `intent_id`: the terminal's last transaction, if it is ours."""
        last = self._terminal.repeat_receipt()
        if isinstance(last, Unknown):
            return PaymentOutcome("unknown", reason=last.reason)
        if isinstance(last, Approved):
            if last.original_trace is not None:
                # The last thing the terminal did was a reversal: nothing of ours stands.
                return PaymentOutcome("not_found", reason="last terminal transaction: reversal")
            if last.reference == intent_id:
                return PaymentOutcome("approved", reference=_card_reference(last))
            if last.reference is None:
                # The terminal does not echo references: an attendant must look at it.
                return PaymentOutcome("unknown", reason="terminal does not echo the reference")
            return PaymentOutcome("not_found", reason="the terminal never completed this intent")
        # Declined or aborted: whether it was this intent or an earlier one, nothing of
        # this intent was charged (the terminal's last transaction holds no money).
        reason = f"{last.result_code:02X} {last.text}"
        if getattr(last, "reference", None) not in (None, intent_id):
            return PaymentOutcome("not_found", reason=f"last terminal transaction: {reason}")
        return PaymentOutcome("declined", reason=reason)

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> PaymentOutcome:
        # ZVT refunds (06 31) are not in the driver yet; a same-day reversal needs the
        # terminal's receipt number. Say so rather than pretend: the attendant refunds
        # at the service desk.
        return PaymentOutcome("declined", reason="card refunds are made at the service desk")


class QrProvider:
    """One QR micropay attempt (or, with no code, the resolution of an earlier one)."""

    def __init__(self, micropay: QrMicropayProvider, payment_code: str | None) -> None:
        self._micropay = micropay
        self._code = payment_code
        self.method = str(micropay.method)

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        if self._code is None:
            return PaymentOutcome("declined", reason="no payment code was scanned")
        return self._micropay.charge_code(intent_id, amount_minor, currency, self._code)

    def query(self, intent_id: str) -> PaymentOutcome:
        return self._micropay.resolve(intent_id)

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> PaymentOutcome:
        outcome = self._micropay.refund(intent_id, refund_id, amount_minor)
        if outcome.status == "accepted":
            return PaymentOutcome("approved", reference=outcome.reference)
        if outcome.status == "rejected":
            return PaymentOutcome("declined", reason=outcome.reason)
        return PaymentOutcome("unknown", reason=outcome.reason)
