"""The one interface every payment method implements (card pinpad, QR micropay, stub)."""

from __future__ import annotations

from collections.abc import Callable
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


class PaymentMethods(Protocol):
    """The payment methods a lane offers, and a provider for one attempt."""

    @property
    def methods(self) -> tuple[str, ...]: ...

    def provider(
        self, method: str, code: str | None, prompt: Callable[[str], None]
    ) -> PaymentProvider:
        """A provider for one attempt. `code`: the shopper's payment code (QR methods);
        None to query an intent after a restart. `prompt` relays the card terminal's
        prompt keys (kiosk.payment.prompts) to the screen as they come."""
        ...

    def refund_provider(self, method: str) -> RefundProvider:
        """The provider that refunds payments made by `method`."""
        ...
