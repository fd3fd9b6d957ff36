"""The lane's paying desk: from "pay" to a settled payment, on the lane's worker thread.

Money is taken on the payment thread: the intent is journalled here first
(`PaymentStarted`, SPEC section 5), the provider is called there, and the outcome comes
back here (through `start_payment`'s callback) to be journalled (`PaymentSucceeded` /
`PaymentFailed`; an unknown outcome calls an attendant, never a guess). `LaneFlow` owns
the desk and asks it for the payment part of the lane snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kiosk.checkout import Checkout
from kiosk.domain.barcodes import InvalidBarcode, ScanKind, parse_scan
from kiosk.domain.transaction import AttendantReason, CheckoutAbandoned, Status
from kiosk.errors import KioskError
from kiosk.lane_devices import LaneDevices
from kiosk.lane_view import PaymentView, money_text
from kiosk.payment.config import CARD
from kiosk.payment.provider import PaymentMethods, PaymentOutcome, PaymentProvider

# Runs the call on the payment thread, then the callback with its outcome on the worker.
StartPayment = Callable[[Callable[[], PaymentOutcome], Callable[[PaymentOutcome], None]], None]
Post = Callable[[str, Callable[[], None]], None]


class Tell(Protocol):
    """Puts a notice (an i18n key) on the shopper's or attendant's screen."""

    def __call__(self, key: str, detail: str = "", *, error: bool = True) -> None: ...


@dataclass(slots=True)
class _Paying:
    method: str
    prompt: str | None = None  # a kiosk.payment.prompts key the paying screen shows
    awaiting_code: bool = False  # a QR method waits for the shopper's payment code


class PayingDesk:
    """See the module docstring. Worker thread only."""

    def __init__(
        self,
        checkout: Checkout,
        payments: PaymentMethods,
        devices: LaneDevices,
        *,
        start_payment: StartPayment,
        post: Post,
        tell: Tell,
        settled: Callable[[], None],
    ) -> None:
        self.checkout = checkout
        self.payments = payments
        self.devices = devices
        self._start_payment = start_payment
        self._post = post  # run an action on the worker thread (from any thread)
        self._tell = tell
        self._settled = settled  # after an outcome is journalled: run the effects
        self.paying: _Paying | None = None
        self.last_failure: str | None = None
        self.e_receipt = False  # the printer could not print: an e-receipt QR instead

    @property
    def awaiting_code(self) -> bool:
        return self.paying is not None and self.paying.awaiting_code

    def reset(self) -> None:
        """A cancelled basket: nothing is being paid."""
        self.paying = None

    # ------------------------------------------------------------ shopper actions

    def go_to_payment(self) -> None:
        if not self.checkout.state.active_lines:
            return self._tell("basket_empty")
        self.checkout.start_checkout()
        # The printer is checked before money is taken: if it cannot print, the shopper
        # may still pay and gets an e-receipt QR instead (issue 6, receipt screen).
        self.e_receipt = not self.devices.printer_ready()
        self.last_failure = None
        return None

    def back_to_basket(self) -> None:
        if self.checkout.state.status is Status.PAYING:
            self.checkout.dispatch(CheckoutAbandoned(self.checkout.now()))
        self.paying = None

    def choose(self, method: str) -> None:
        if method not in self.payments.methods:
            raise KioskError(f"payment method {method!r} is not offered here")
        state = self.checkout.state
        if state.status is not Status.PAYING or state.pending_payment is not None:
            raise KioskError(f"cannot start a payment in state {state.status.value}")
        if method == CARD:
            self.paying = _Paying(method, prompt="insert_card")
            self._begin_charge(method, None)
        else:
            self.paying = _Paying(method, prompt="show_code", awaiting_code=True)
            self.devices.scanners_enabled(True)

    def cancel_wait(self) -> None:
        if self.awaiting_code:
            self.paying = None

    def payment_code(self, data: str) -> None:
        """A scan while a QR method waits for the shopper's payment code."""
        assert self.paying is not None
        try:
            result = parse_scan(data, self.checkout.config.barcodes)
        except InvalidBarcode:
            result = None
        if result is None or result.kind is not ScanKind.PAYMENT_CODE:
            return self._tell("not_a_payment_code")
        if result.payment_provider not in (None, self.paying.method):
            return self._tell("wrong_payment_code", result.payment_provider or "")
        self.paying.awaiting_code = False
        self.paying.prompt = "processing"
        self._begin_charge(self.paying.method, result.payment_code)
        return None

    # ------------------------------------------------------------ after a restart, attendants

    def resume_pending(self, method: str) -> None:
        """After a restart with an intent whose outcome was not journalled: ask the
        provider before the kiosk takes a new shopper (SPEC section 5); the screen says
        "processing" meanwhile (a QR query may poll for a while)."""
        self.paying = _Paying(method, prompt="processing")
        self._ask_again()

    def recheck(self, attendant_id: str) -> None:
        """The attendant's approval of an unresolved payment: ask again, and clear the
        request only once the outcome is known (never a guess)."""

        def clear(outcome: PaymentOutcome) -> None:
            unresolved = self.checkout.state.attendant_reason is AttendantReason.PAYMENT_UNRESOLVED
            if outcome.status != "unknown" and unresolved:
                self.checkout.approve(attendant_id, AttendantReason.PAYMENT_UNRESOLVED)

        self._ask_again(clear)

    # ------------------------------------------------------------ the payment thread's side

    def _begin_charge(self, method: str, code: str | None) -> None:
        # Journalled before any byte goes to a pinpad or provider (SPEC section 5).
        intent_id, amount = self.checkout.begin_payment(method)
        currency = self.checkout.config.store.currency

        def prompt(key: str) -> None:
            # On the payment thread: the terminal's prompt reaches the screen at once.
            self._post("payment_prompt", lambda: self._show_prompt(intent_id, key))

        provider: PaymentProvider = self.payments.provider(method, code, prompt)

        def call() -> PaymentOutcome:
            outcome = provider.charge(intent_id, amount, currency)
            if outcome.status == "unknown":
                outcome = provider.query(intent_id)
            return outcome

        def settle(outcome: PaymentOutcome) -> None:
            self._settle(intent_id, amount, outcome)

        self._start_payment(call, settle)

    def _ask_again(self, after: Callable[[PaymentOutcome], None] | None = None) -> None:
        """Ask the terminal or provider what became of the pending intent (on the payment
        thread) and settle it; then `after`."""
        pending = self.checkout.state.pending_payment
        assert pending is not None
        provider = self.payments.provider(pending.method, None, lambda _key: None)

        def settle(outcome: PaymentOutcome) -> None:
            self._settle(pending.intent_id, pending.amount_minor, outcome)
            if after is not None:
                after(outcome)

        self._start_payment(lambda: provider.query(pending.intent_id), settle)

    def _show_prompt(self, intent_id: str, key: str) -> None:
        pending = self.checkout.state.pending_payment
        if self.paying is not None and pending is not None and pending.intent_id == intent_id:
            self.paying.prompt = key

    def _settle(self, intent_id: str, amount: int, outcome: PaymentOutcome) -> None:
        # The checkout journals the outcome (unknown: an attendant is called, never a guess).
        self.checkout.settle_payment(intent_id, amount, outcome)
        self.paying = None
        if outcome.status in ("declined", "not_found"):
            self.last_failure = outcome.reason or outcome.status
            self._tell("payment_declined", outcome.reason)
        elif outcome.status == "unknown":
            self._tell("payment_unresolved", outcome.reason)
        self._settled()

    # ------------------------------------------------------------ snapshot

    def view(self, locale: str) -> PaymentView:
        state = self.checkout.state
        due = state.amount_due_minor - state.paid_minor
        return PaymentView(
            methods=self.payments.methods,
            amount=money_text(due, self.checkout.config.store.currency, locale),
            method=self.paying.method if self.paying else None,
            prompt=self.paying.prompt if self.paying else None,
            failure=self.last_failure,
            e_receipt=self.e_receipt,
        )
