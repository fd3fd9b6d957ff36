"""The checkout shell: scans in, events journalled, effects out.

This is the imperative shell around the pure reducer (kiosk.domain.transaction): it
parses scans, looks items up, prices the basket, and for every event it
1. asks the reducer whether the event is allowed and what follows (pure),
2. appends the event to the journal and commits it (with the sale and its outbox
   message when the event completes the payment),
3. only then adopts the new state and runs the effects.
A crash between any two steps leaves a journal that replays to a consistent state.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kiosk.config import KioskConfig
from kiosk.domain.barcodes import InvalidBarcode, ScanKind, ScanResult, parse_scan
from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.pricing import (
    BasketLine,
    Member,
    PricedBasket,
    PricingContext,
    PromotionSet,
    price_basket,
)
from kiosk.domain.sale import RefundRecord, Sale, sale_from_transaction
from kiosk.domain.transaction import (
    AttendantApproved,
    AttendantCalled,
    AttendantReason,
    Cancelled,
    ChargePayment,
    CheckoutStarted,
    Effect,
    Event,
    ItemAdded,
    LineVoided,
    MemberIdentified,
    Payment,
    PaymentFailed,
    PaymentStarted,
    PaymentSucceeded,
    PrintReceipt,
    ReceiptIssued,
    RecordRefund,
    RecordSale,
    RefundSettled,
    RefundStarted,
    RequestAttendant,
    SessionClosed,
    SessionStarted,
    Status,
    Transaction,
    reduce,
)
from kiosk.errors import KioskError, UnknownItem
from kiosk.logging_setup import mask
from kiosk.payment.provider import PaymentOutcome, PaymentProvider, RefundProvider
from kiosk.pricing_worker import PricingJob, PricingWorker
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.journal import Journal, JournalEntry, Restored
from kiosk.store.promotions_file import PromotionsFile

log = logging.getLogger(__name__)


def line_id_for(position: int, unique: str) -> str:
    """A basket line's id: its scan position (zero-padded, so ids sort in scan order)
    and a unique part.

    Pricing breaks ties between identical pieces by line id, never by basket order (so
    the order of lines changes no total). With the position first, those ties follow
    the scan: in "3 for 2" the third milk scanned is the free one, on every run and
    every kiosk, instead of whichever line a random id happened to favour.
    """
    return f"{position:05d}-{unique}"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What one scan did, for the screen: a line added, a member recognised, or why not."""

    status: Literal["added", "member", "payment_code", "rejected"]
    message: str
    line_id: str | None = None
    scan: ScanResult | None = None


class RefundRefused(KioskError):
    """A refund that does not match a recorded payment, or exceeds what is left of it."""


class ItemBlocked(KioskError):
    """An item may not be sold (expired, recalled)."""


class Checkout:
    """One kiosk lane's checkout. Single-threaded: the app's worker thread owns it."""

    def __init__(
        self,
        config: KioskConfig,
        journal: Journal,
        catalogue: CatalogueStore,
        promotions: PromotionSet,
        *,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        on_effect: Callable[[Effect, Transaction], None] | None = None,
        on_commit: Callable[[int, Event, Transaction], None] | None = None,
        on_close: Callable[[], None] | None = None,
        promotions_file: PromotionsFile | None = None,
    ) -> None:
        self.config = config
        self._on_close = on_close
        self._promotions_file = promotions_file
        self.journal = journal
        self.catalogue = catalogue
        self.promotions = promotions
        self._clock = clock
        self._new_id = new_id
        self._on_effect = on_effect
        self._on_commit = on_commit
        self._state = Transaction()
        self._priced: PricedBasket | None = None
        self._pricing = PricingWorker(f"pricing {config.kiosk_id}")

    # ------------------------------------------------------------ state

    @property
    def state(self) -> Transaction:
        return self._state

    def now(self) -> datetime:
        """The checkout's clock (tests and drills pass their own)."""
        return self._clock()

    def close(self) -> None:
        self._pricing.close()
        self.journal.close()
        self.catalogue.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def restore(self) -> Restored:
        """Rebuild the open transaction from the journal (call once, at start-up)."""
        restored = self.journal.restore()
        self._state = restored.state
        self._priced = None
        if restored.quarantined or restored.salvaged_from:
            log.error(
                "journal recovered with damage set aside",
                extra={
                    "quarantined_events": restored.quarantined,
                    "salvaged_from": str(restored.salvaged_from or ""),
                },
            )
        return restored

    def dispatch(self, event: Event) -> tuple[Effect, ...]:
        """Validate, journal, adopt, then run effects. Raises TransitionError if not allowed."""
        return self._dispatch_all((event,))

    def _dispatch_all(self, events: Sequence[Event], *, price: bool = False) -> tuple[Effect, ...]:
        """`dispatch` for events that belong together: every one is validated first, all are
        journalled in one commit (all or none), then adopted and their effects run in order.

        With `price`, the basket they lead to is priced on the pricing worker while the
        commit waits for the disk (`kiosk.pricing_worker`), for a scan's priced basket to
        be ready as soon as its event is durable; it is adopted only with the events.
        """
        state = self._state
        entries: list[JournalEntry] = []
        effects_of: list[tuple[Effect, ...]] = []
        for event in events:
            before = state
            state, effects = reduce(before, event)
            entries.append(
                JournalEntry(
                    event,
                    state,
                    self._sale_of(state, effects, event),
                    self._refund_of(before, event, effects),
                )
            )
            effects_of.append(effects)
        after = state
        job = PricingJob(lambda: self._price(after)) if price else None
        hand_over = None if job is None else functools.partial(self._pricing.submit, job)
        try:
            seqs = self.journal.append_all(entries, before_commit=hand_over)
        finally:
            # Never leave a job running: the next pricing (here or there) must not overlap it.
            priced = job.wait() if job is not None else None
        self._state = state
        self._priced = priced
        for seq, entry, effects in zip(seqs, entries, effects_of, strict=True):
            if self._on_commit is not None:
                self._on_commit(seq, entry.event, entry.state_after)
            for effect in effects:
                if self._on_effect is not None and not isinstance(effect, RecordSale):
                    self._on_effect(effect, entry.state_after)
        return tuple(effect for effects in effects_of for effect in effects)

    def _sale_of(
        self, state: Transaction, effects: tuple[Effect, ...], event: Event
    ) -> Sale | None:
        if not any(isinstance(e, RecordSale) for e in effects):
            return None
        return sale_from_transaction(
            state,
            store_id=self.config.store.store_id,
            kiosk_id=self.config.kiosk_id,
            completed_at=event.at,
        )

    @staticmethod
    def _refund_of(
        before: Transaction, event: Event, effects: tuple[Effect, ...]
    ) -> RefundRecord | None:
        if not isinstance(event, RefundSettled) or not any(
            isinstance(e, RecordRefund) for e in effects
        ):
            return None
        started = before.pending_refund
        assert started is not None, "the reducer only records a pending refund"
        return RefundRecord(
            refund_id=started.refund_id,
            tx_id=started.tx_id,
            intent_id=started.intent_id,
            method=started.method,
            amount_minor=started.amount_minor,
            attendant_id=started.attendant_id,
            reference=event.reference,
            refunded_at=event.at,
        )

    # ------------------------------------------------------------ shopping

    def scan(self, data: str) -> ScanOutcome:
        """Handle one scan from any scanner or camera. Never raises for bad input."""
        try:
            result = parse_scan(data, self.config.barcodes, today=self._clock().date())
        except InvalidBarcode as exc:
            log.info("scan rejected", extra={"reason": exc.reason})
            return ScanOutcome("rejected", f"invalid barcode: {exc.reason}")
        if result.kind is ScanKind.PAYMENT_CODE:
            # Never a basket line; the payment screen takes it (kiosk.payment).
            return ScanOutcome("payment_code", "payment code: choose a payment method", scan=result)
        if result.kind is ScanKind.MEMBER:
            assert result.member_id is not None
            self.identify_member(result.member_id)
            return ScanOutcome("member", f"member {mask(result.member_id)}", scan=result)
        self.pick_up_new_files()  # the first scan of a shopper: the newest catalogue
        try:
            item = self._item_for(result)
            self._check_sellable(item, result)
        except (UnknownItem, ItemBlocked) as exc:
            log.info("scan refused", extra={"kind": result.kind.value, "reason": str(exc)})
            return ScanOutcome("rejected", str(exc), scan=result)
        line_id = self.add_item(
            item,
            weight_g=result.weight_g if item.unit is Unit.KG else None,
            label_price_minor=result.price_minor,
            quantity=result.count or 1,
        )
        return ScanOutcome("added", item.name(self.config.store.locale), line_id, result)

    def _item_for(self, result: ScanResult) -> Item:
        item: Item | None = None
        if result.gtin is not None:
            item = self.catalogue.lookup_gtin(result.gtin)
        if item is None and result.item_code is not None:
            item = self.catalogue.lookup_plu(result.item_code)
        if item is None:
            raise UnknownItem(result.gtin or result.item_code or result.raw)
        return item

    def _check_sellable(self, item: Item, result: ScanResult) -> None:
        today = self._clock().date()
        if result.expiry is not None and result.expiry < today:
            raise ItemBlocked(f"{item.item_id} expired on {result.expiry.isoformat()}")
        if item.unit is Unit.KG and result.weight_g is None and result.price_minor is None:
            raise ItemBlocked(f"{item.item_id} is sold by weight: weigh it on the scale first")

    def _session_opening(self) -> tuple[Event, ...]:
        """The SessionStarted an idle lane needs before a shopper's first scan, or nothing.

        Journalled in the same commit as that scan's event: one fsync, not two, for the
        first scan, and a crash between them cannot leave an empty session behind.
        """
        if self._state.status is not Status.IDLE:
            return ()
        self.pick_up_new_files()
        return (SessionStarted(self._clock(), self._new_id()),)

    def start_session(self, tx_id: str | None = None) -> None:
        """A new shopper, with the newest catalogue and promotions (`pick_up_new_files`)."""
        self.pick_up_new_files()
        self.dispatch(SessionStarted(self._clock(), tx_id or self._new_id()))

    def pick_up_new_files(self) -> None:
        """Between shoppers only: a catalogue import or a promotions push that replaced its
        file since is picked up now, so no basket is ever priced by two versions."""
        if self._state.status is not Status.IDLE:
            return
        if self.catalogue.refresh():
            self._priced = None
        if self._promotions_file is not None and self._promotions_file.changed():
            self.promotions = self._promotions_file.load()
            self._priced = None
            log.info("promotions reloaded", extra={"rules": len(self.promotions.rules)})

    def identify_member(self, member_id: str) -> None:
        """The shopper's member id (from a member code or a phone lookup); opens the
        session if this is the shopper's first step."""
        opening = self._session_opening()
        self._dispatch_all((*opening, MemberIdentified(self._clock(), member_id)), price=True)

    def add_item(
        self,
        item: Item,
        *,
        quantity: int = 1,
        weight_g: int | None = None,
        label_price_minor: int | None = None,
    ) -> str:
        opening = self._session_opening()
        line_id = line_id_for(len(self._state.lines) + 1, self._new_id())
        added = ItemAdded(self._clock(), line_id, item, quantity, weight_g, label_price_minor)
        self._dispatch_all((*opening, added), price=True)
        return line_id

    def void_line(self, line_id: str, attendant_id: str) -> None:
        self.dispatch(LineVoided(self._clock(), line_id, attendant_id))

    def approve(self, attendant_id: str, reason: AttendantReason) -> None:
        self.dispatch(AttendantApproved(self._clock(), attendant_id, reason))

    def cancel(self, reason: str) -> None:
        self.dispatch(Cancelled(self._clock(), reason))
        self.dispatch(SessionClosed(self._clock()))

    # ------------------------------------------------------------ pricing

    def pricing_context(self, now: datetime, state: Transaction | None = None) -> PricingContext:
        """How to price `state` (the current transaction's unless given) at `now`."""
        store = self.config.store
        member_id = (self._state if state is None else state).member_id
        return PricingContext(
            now=now,
            currency=store.currency,
            rounding=store.rounding,
            tax_inclusive=store.tax_inclusive,
            tax_rates=store.tax_rates,
            member=Member(member_id) if member_id else None,
        )

    def basket_lines(self, state: Transaction | None = None) -> list[BasketLine]:
        """The active lines of `state` (the current transaction's unless given)."""
        return [
            BasketLine(
                line_id=line.line_id,
                item=line.item,
                quantity=line.quantity,
                weight_g=line.weight_g,
                label_price_minor=line.label_price_minor,
            )
            for line in (self._state if state is None else state).active_lines
        ]

    def priced(self) -> PricedBasket:
        """The basket as priced now (cached until the next event)."""
        if self._state.priced is not None:
            return self._state.priced
        if self._priced is None:
            self._priced = self._price(self._state)
        return self._priced

    def _price(self, state: Transaction) -> PricedBasket:
        ctx = self.pricing_context(self._clock(), state)
        return price_basket(self.basket_lines(state), self.promotions, ctx)

    # ------------------------------------------------------------ paying

    def start_checkout(self) -> PricedBasket:
        now = self._clock()
        priced = price_basket(self.basket_lines(), self.promotions, self.pricing_context(now))
        self.dispatch(CheckoutStarted(now, priced))
        return priced

    def begin_payment(self, method: str, amount_minor: int | None = None) -> tuple[str, int]:
        """Journal a payment intent before any byte goes to a pinpad or provider.

        Returns (intent id, amount); the amount defaults to what is still due. The
        caller then charges (on any thread) and hands the outcome to `settle_payment`.
        """
        outstanding = self._state.amount_due_minor - self._state.paid_minor
        amount = outstanding if amount_minor is None else amount_minor
        intent_id = self._new_id()
        self.dispatch(PaymentStarted(self._clock(), intent_id, method, amount))
        return intent_id, amount

    def pay(self, provider: PaymentProvider, amount_minor: int | None = None) -> PaymentOutcome:
        """Take one payment synchronously: intent journalled, charge, settle."""
        intent_id, amount = self.begin_payment(provider.method, amount_minor)
        outcome = provider.charge(intent_id, amount, self.config.store.currency)
        if outcome.status == "unknown":
            outcome = provider.query(intent_id)
        self.settle_payment(intent_id, amount, outcome)
        return outcome

    def resolve_pending_payment(self, provider: PaymentProvider) -> PaymentOutcome | None:
        """Settle an intent that was sent but whose outcome was not journalled (after a
        restart, or when the provider's answer was unknown). Returns None if none pends."""
        pending = self._state.pending_payment
        if pending is None:
            return None
        outcome = provider.query(pending.intent_id)
        self.settle_payment(pending.intent_id, pending.amount_minor, outcome)
        return outcome

    def settle_payment(self, intent_id: str, amount: int, outcome: PaymentOutcome) -> None:
        """Journal what became of an intent; unknown calls an attendant, never guesses."""
        now = self._clock()
        if outcome.status == "approved":
            self.dispatch(PaymentSucceeded(now, intent_id, amount, outcome.reference))
        elif outcome.status in ("declined", "not_found"):
            self.dispatch(PaymentFailed(now, intent_id, outcome.reason or outcome.status))
        elif self._state.status is Status.PAYING:
            # Unknown: never guess (SPEC section 5). The intent stays pending and an
            # attendant is called; no new shopper starts until it is resolved.
            log.warning("payment outcome unknown", extra={"intent": intent_id})
            self.dispatch(AttendantCalled(now, AttendantReason.PAYMENT_UNRESOLVED))

    # ------------------------------------------------------------ refunds

    def refund(
        self,
        provider: RefundProvider,
        *,
        tx_id: str,
        intent_id: str,
        amount_minor: int,
        attendant_id: str,
    ) -> PaymentOutcome:
        """Refund (part of) one payment of a recorded sale, between shoppers.

        The refund is journalled before the provider hears of it; a refund whose outcome
        is unknown stays pending (no new shopper) until `resolve_pending_refund`.
        """
        self.begin_refund(
            provider.method,
            tx_id=tx_id,
            intent_id=intent_id,
            amount_minor=amount_minor,
            attendant_id=attendant_id,
        )
        return self.resolve_pending_refund(provider) or PaymentOutcome("unknown")

    def refundable(self, sale: Sale) -> list[tuple[Payment, int]]:
        """Each payment of a recorded sale with what is left to refund of it."""
        refunded = self.journal.refunded_minor
        return [(p, p.amount_minor - refunded(p.intent_id)) for p in sale.payments]

    def begin_refund(
        self, method: str, *, tx_id: str, intent_id: str, amount_minor: int, attendant_id: str
    ) -> RefundStarted:
        """Check the refund against the recorded sale and journal it (nothing sent yet)."""
        sale = self.journal.sale(tx_id)
        if sale is None:
            raise RefundRefused(f"no recorded sale {tx_id!r}")
        payment = next((p for p in sale.payments if p.intent_id == intent_id), None)
        if payment is None:
            raise RefundRefused(f"sale {tx_id} has no payment {intent_id!r}")
        if payment.method != method:
            raise RefundRefused(f"payment {intent_id} was by {payment.method}, not {method}")
        left = payment.amount_minor - self.journal.refunded_minor(intent_id)
        if not 0 < amount_minor <= left:
            raise RefundRefused(f"payment {intent_id}: refund must be between 1 and {left}")
        started = RefundStarted(
            self._clock(),
            self._new_id(),
            tx_id,
            intent_id,
            payment.method,
            amount_minor,
            attendant_id,
        )
        self.dispatch(started)
        return started

    def resolve_pending_refund(self, provider: RefundProvider) -> PaymentOutcome | None:
        """Ask the provider (again: refunds are idempotent by refund id) and settle."""
        pending = self._state.pending_refund
        if pending is None:
            return None
        outcome = provider.refund(pending.intent_id, pending.refund_id, pending.amount_minor)
        self.settle_refund(pending.refund_id, outcome)
        return outcome

    def settle_refund(self, refund_id: str, outcome: PaymentOutcome) -> None:
        """Journal a refund's outcome; an unknown one stays pending (ask again later)."""
        if outcome.status == "approved":
            self.dispatch(RefundSettled(self._clock(), refund_id, True, outcome.reference))
        elif outcome.status in ("declined", "not_found"):
            reason = outcome.reason or outcome.status
            self.dispatch(RefundSettled(self._clock(), refund_id, False, reason=reason))
        else:
            log.warning("refund outcome unknown", extra={"refund": refund_id})

    def finish(self, printed: bool) -> None:
        self.dispatch(ReceiptIssued(self._clock(), printed))
        self.dispatch(SessionClosed(self._clock()))


__all__ = [
    "ChargePayment",
    "Checkout",
    "ItemBlocked",
    "PrintReceipt",
    "RequestAttendant",
    "ScanOutcome",
]
