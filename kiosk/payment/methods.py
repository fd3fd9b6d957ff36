"""The real payment methods behind the one `PaymentProvider` interface.

- `CardProvider`: a ZVT card terminal (drivers.pinpad.zvt). The payment intent id
  travels as the ECR reference (BMP 3C), so after a lost link the terminal's last
  transaction (repeat receipt, 06 20) tells whether *this* intent was charged. A card
  refund (06 31) carries its refund id the same way, so a repeated refund is answered
  from the terminal's last transaction instead of being sent twice.
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

from drivers.pinpad.zvt.errors import ZvtError, ZvtUnavailable
from drivers.pinpad.zvt.outcome import Approved, IntermediateUpdate, Unknown
from drivers.pinpad.zvt.terminal import ZvtTerminal
from kiosk.payment.prompts import card_prompt
from kiosk.payment.provider import PaymentOutcome
from kiosk.payment.qr import QrMicropayProvider

log = logging.getLogger(__name__)

Prompt = Callable[[str], None]


def _card_reference(outcome: Approved) -> str:
    # Only the card's last four digits (what a receipt may show, never the PAN) and the
    # terminal's receipt number, which a same-day reversal (06 30) and the store's
    # reconciliation with the acquirer need.
    digits = "".join(c for c in (outcome.masked_pan or "") if c.isdigit())
    card = f"**** {digits[-4:]}" if digits else "card"
    return card if outcome.receipt_no is None else f"{card} #{outcome.receipt_no}"


class CardProvider:
    """Card payments through a ZVT terminal."""

    method = "card"

    def __init__(self, terminal: ZvtTerminal, prompt: Prompt | None = None) -> None:
        self._terminal = terminal
        self._prompt = prompt

    def _on_status(self, update: IntermediateUpdate) -> None:
        # "Insert card", "watch PIN-pad": relayed to the payment screen as they come, as
        # prompt keys the screen translates (kiosk.payment.prompts).
        if self._prompt is not None:
            self._prompt(card_prompt(update.code))

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        try:
            outcome = self._terminal.authorize(
                amount_minor, reference=intent_id, on_status=self._on_status
            )
        except ZvtUnavailable as exc:
            # Not connected: nothing was sent, so nothing was charged (a clear decline,
            # not an unknown for an attendant).
            log.warning("card terminal unavailable", extra={"intent": intent_id})
            return PaymentOutcome("declined", reason=f"card terminal not reachable: {exc}")
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
        """Credit `amount_minor` of `intent_id`'s payment to the shopper's card (ZVT 06 31),
        once per `refund_id`, which travels as the ECR reference (BMP 3C).

        The terminal's last transaction (06 20) is asked first: when it is this refund id
        (an attempt whose outcome was lost with the link, or before a restart), that
        outcome is the answer and nothing is sent again. This holds because nothing else
        runs on the terminal while a refund is unresolved (the checkout blocks the lane).
        approved: reference "**** 1234"; declined: the result code and its text.
        """
        try:
            last = self._terminal.last_transaction()
        except ZvtError as exc:
            return PaymentOutcome("unknown", reason=f"card terminal cannot say: {exc}")
        if isinstance(last, Unknown):
            return PaymentOutcome("unknown", reason=last.reason)
        done: Approved | None = None
        if isinstance(last, Approved):
            if last.original_trace is None and last.reference == refund_id:
                done = last  # refunded before: the terminal's record is the answer
            elif last.original_trace is None and last.reference is None:
                # The terminal does not echo references: it may be this refund, done.
                return PaymentOutcome("unknown", reason="terminal does not echo the reference")
        elif last is not None and getattr(last, "reference", None) == refund_id:
            # This refund was tried and not approved: nothing went back to the card.
            return PaymentOutcome("declined", reason=f"{last.result_code:02X} {last.text}")
        try:
            outcome = done or self._terminal.refund(
                amount_minor, reference=refund_id, on_status=self._on_status
            )
        except ZvtError as exc:  # raised only before anything was sent
            return PaymentOutcome("declined", reason=f"card terminal: {exc}")
        log.info(
            "card refund",
            extra={"intent": intent_id, "refund": refund_id, "status": outcome.status},
        )
        if isinstance(outcome, Approved):
            if outcome.amount_minor != amount_minor:
                return PaymentOutcome("unknown", reason="terminal refunded a different amount")
            return PaymentOutcome("approved", reference=_card_reference(outcome))
        if isinstance(outcome, Unknown):
            return PaymentOutcome("unknown", reason=outcome.reason)
        return PaymentOutcome("declined", reason=f"{outcome.result_code:02X} {outcome.text}")


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
