"""The one interface every payment method implements (card pinpad, QR micropay, stub)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from kiosk.errors import KioskError


class PaymentError(KioskError):
    """A payment could not be attempted at all (provider unreachable, misconfigured)."""


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """The provider's answer. `unknown` must be resolved by `query`, never guessed."""

    status: Literal["approved", "declined", "unknown", "not_found"]
    reference: str = ""  # masked: last digits of a card, a provider transaction id
    reason: str = ""


class PaymentProvider(Protocol):
    method: str

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        """Charge once per `intent_id`: a repeated call must not charge again."""
        ...

    def query(self, intent_id: str) -> PaymentOutcome:
        """What became of `intent_id`: approved, declined, or not_found (never charged)."""
        ...


class RefundProvider(Protocol):
    method: str

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> PaymentOutcome:
        """Refund part of `intent_id`'s payment once per `refund_id` (a repeat is safe).

        approved: the money goes back; declined: it does not; unknown: ask again later.
        """
        ...
