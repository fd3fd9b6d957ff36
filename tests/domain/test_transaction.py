"""The transaction reducer: allowed transitions, effects, and replay equivalence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.catalogue import AgeLimit, Item, Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import (
    BasketLine,
    PricedBasket,
    PricingContext,
    load_promotions,
    price_basket,
)
from kiosk.domain.transaction import (
    INITIAL,
    AttendantApproved,
    AttendantReason,
    Cancelled,
    CheckoutAbandoned,
    CheckoutStarted,
    Event,
    IssueRefund,
    ItemAdded,
    LineVoided,
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
    replay,
)
from kiosk.errors import TransitionError

T0 = datetime(2026, 11, 27, 10, 0, 0)
NO_PROMOS = load_promotions('{"version": 1, "promotions": []}', "test")
CTX = PricingContext(
    now=T0,
    currency="CNY",
    rounding=Rounding.HALF_UP,
    tax_inclusive=True,
    tax_rates={"standard": Fraction(13, 100)},
)


def item(item_id: str = "milk", price: int = 650, age: AgeLimit = AgeLimit.NONE) -> Item:
    return Item(
        item_id=item_id,
        names={"zh_CN": "牛奶", "en": "Milk"},
        price_minor=price,
        currency="CNY",
        tax_class="standard",
        unit=Unit.EACH,
        department="dairy",
        gtins=("06901234567892",),
        age_limit=age,
    )


def priced(state: Transaction) -> PricedBasket:
    lines = [
        BasketLine(line.line_id, line.item, line.quantity, line.weight_g, line.label_price_minor)
        for line in state.active_lines
    ]
    return price_basket(lines, NO_PROMOS, CTX)


def run(events: Sequence[Event]) -> tuple[Transaction, list[object]]:
    state = INITIAL
    effects: list[object] = []
    for event in events:
        state, more = reduce(state, event)
        effects.extend(more)
    return state, effects


def shopping(*items: Item) -> Transaction:
    state, _ = run(
        [SessionStarted(T0, "tx1")] + [ItemAdded(T0, f"l{i}", it) for i, it in enumerate(items)]
    )
    return state


def test_paid_in_full_records_the_sale_and_prints_once() -> None:
    state = shopping(item(), item("bread", 1200))
    state, _ = reduce(state, CheckoutStarted(T0, priced(state)))
    assert state.status is Status.PAYING
    assert state.amount_due_minor == 1850
    state, effects = reduce(state, PaymentStarted(T0, "p1", "stub", 1850))
    state, effects = reduce(state, PaymentSucceeded(T0, "p1", 1850, "STUB-1"))
    assert state.status is Status.PAID
    assert effects == (RecordSale("tx1"), PrintReceipt("tx1"))
    state, _ = reduce(state, ReceiptIssued(T0, printed=True))
    state, _ = reduce(state, SessionClosed(T0))
    assert state == INITIAL


def test_split_tender_stays_paying_until_the_total_is_covered() -> None:
    state = shopping(item(price=1000))
    state, _ = reduce(state, CheckoutStarted(T0, priced(state)))
    state, _ = reduce(state, PaymentStarted(T0, "card", "card", 400))
    state, effects = reduce(state, PaymentSucceeded(T0, "card", 400, "**** 1234"))
    assert state.status is Status.PAYING
    assert effects == ()
    with pytest.raises(TransitionError, match="between 1 and 600"):
        reduce(state, PaymentStarted(T0, "qr", "wechat", 601))
    state, _ = reduce(state, PaymentStarted(T0, "qr", "wechat", 600))
    state, effects = reduce(state, PaymentSucceeded(T0, "qr", 600, "wx-1"))
    assert state.status is Status.PAID
    assert RecordSale("tx1") in effects


def test_declined_payment_leaves_the_basket_payable_again() -> None:
    state = shopping(item())
    state, _ = reduce(state, CheckoutStarted(T0, priced(state)))
    state, _ = reduce(state, PaymentStarted(T0, "p1", "card", 650))
    state, _ = reduce(state, PaymentFailed(T0, "p1", "declined 05"))
    assert state.status is Status.PAYING
    assert state.paid_minor == 0
    with pytest.raises(TransitionError, match="used already"):
        reduce(state, PaymentStarted(T0, "p1", "card", 650))
    state, _ = reduce(state, PaymentStarted(T0, "p2", "wechat", 650))
    state, _ = reduce(state, PaymentSucceeded(T0, "p2", 650, "wx"))
    assert state.status is Status.PAID


def test_age_restricted_item_pauses_for_an_attendant() -> None:
    state = shopping(item())
    state, effects = reduce(state, ItemAdded(T0, "beer", item("beer", 800, AgeLimit.EIGHTEEN)))
    assert state.status is Status.ATTENDANT_REQUIRED
    assert effects == (RequestAttendant(AttendantReason.AGE_CHECK),)
    with pytest.raises(TransitionError):
        reduce(state, CheckoutStarted(T0, priced(state)))
    state, _ = reduce(state, AttendantApproved(T0, "A7", AttendantReason.AGE_CHECK))
    assert state.status is Status.SHOPPING
    # Once approved, a second restricted item in the same basket needs no new check.
    state, effects = reduce(state, ItemAdded(T0, "wine", item("wine", 9900, AgeLimit.EIGHTEEN)))
    assert state.status is Status.SHOPPING
    assert effects == ()


def test_cannot_cancel_or_abandon_once_money_is_taken() -> None:
    state = shopping(item(price=1000))
    state, _ = reduce(state, CheckoutStarted(T0, priced(state)))
    state, _ = reduce(state, PaymentStarted(T0, "p1", "card", 500))
    with pytest.raises(TransitionError, match="pending"):
        reduce(state, Cancelled(T0, "shopper left"))
    state, _ = reduce(state, PaymentSucceeded(T0, "p1", 500, "x"))
    with pytest.raises(TransitionError):
        reduce(state, CheckoutAbandoned(T0))
    with pytest.raises(TransitionError, match="money was taken"):
        reduce(state, Cancelled(T0, "shopper left"))


def test_checkout_refuses_a_priced_basket_that_does_not_match() -> None:
    state = shopping(item(), item("bread", 1200))
    stale = priced(state)
    state, _ = reduce(state, LineVoided(T0, "l1", "A7"))
    with pytest.raises(TransitionError, match="does not match"):
        reduce(state, CheckoutStarted(T0, stale))


def test_events_outside_their_states_are_refused_without_changing_state() -> None:
    with pytest.raises(TransitionError, match="item_added not allowed in state idle"):
        reduce(INITIAL, ItemAdded(T0, "l1", item()))
    state = shopping(item())
    with pytest.raises(TransitionError, match="exists already"):
        reduce(state, ItemAdded(T0, "l0", item()))
    with pytest.raises(TransitionError, match="empty"):
        reduce(shopping(), CheckoutStarted(T0, priced(shopping())))


# ---------------------------------------------------------------- properties

ITEMS = [item("milk", 650), item("bread", 1200), item("beer", 800, AgeLimit.EIGHTEEN)]


@st.composite
def event_sequences(draw: st.DrawFn) -> list[Event]:
    """Random, mostly valid, event sequences driven by the current state."""
    state = INITIAL
    events: list[Event] = []
    at = T0
    for n in range(draw(st.integers(1, 40))):
        at += timedelta(seconds=1)
        candidates: list[Event] = [
            SessionStarted(at, f"tx{n}"),
            ItemAdded(at, f"l{n}", draw(st.sampled_from(ITEMS))),
            SessionClosed(at),
            ReceiptIssued(at, printed=True),
            Cancelled(at, "left"),
            CheckoutAbandoned(at),
        ]
        if state.active_lines:
            candidates.append(LineVoided(at, state.active_lines[0].line_id, "A1"))
            candidates.append(CheckoutStarted(at, priced(state)))
        if state.attendant_reason is not None:
            candidates.append(AttendantApproved(at, "A1", state.attendant_reason))
        outstanding = state.amount_due_minor - state.paid_minor
        if outstanding > 0:
            amount = draw(st.integers(1, outstanding))
            candidates.append(PaymentStarted(at, f"p{n}", "card", amount))
        pending = state.pending_payment
        if pending is not None:
            candidates.append(PaymentSucceeded(at, pending.intent_id, pending.amount_minor, "r"))
            candidates.append(PaymentFailed(at, pending.intent_id, "declined"))
        event = draw(st.sampled_from(candidates))
        try:
            state, _ = reduce(state, event)
        except TransitionError:
            continue
        events.append(event)
    return events


@settings(max_examples=200, deadline=None)
@given(event_sequences())
def test_replay_rebuilds_the_same_state_from_any_prefix(events: list[Event]) -> None:
    state, _ = run(events)
    assert replay(events) == state
    for cut in range(len(events)):
        assert replay(events[cut:], replay(events[:cut])) == state


@settings(max_examples=200, deadline=None)
@given(event_sequences())
def test_invariants_hold_for_any_accepted_sequence(events: list[Event]) -> None:
    state = INITIAL
    sales: list[str] = []
    for event in events:
        state, effects = reduce(state, event)
        sales += [e.tx_id for e in effects if isinstance(e, RecordSale)]
        assert state.paid_minor <= max(state.amount_due_minor, 0)
        if state.status is Status.PAID:
            assert state.paid_minor == state.amount_due_minor
        assert sum(1 for p in state.payments if p.status == "pending") <= 1
    assert len(sales) == len(set(sales)), "a sale was recorded twice"


def test_refund_only_between_shoppers_and_recorded_once_settled() -> None:
    refund = RefundStarted(T0, "r1", "tx0", "p0", "card", 300, "A7")
    with pytest.raises(TransitionError):
        reduce(shopping(item()), refund)
    state, effects = reduce(INITIAL, refund)
    assert effects == (IssueRefund("r1"),)
    assert not state.is_at_rest  # a restart replays from before the refund
    with pytest.raises(TransitionError, match="unresolved"):
        reduce(state, SessionStarted(T0, "tx1"))
    with pytest.raises(TransitionError, match="not pending"):
        reduce(state, RefundSettled(T0, "other", refunded=True))
    done, effects = reduce(state, RefundSettled(T0, "r1", refunded=True, reference="R-1"))
    assert effects == (RecordRefund("r1"),)
    assert done == INITIAL
    refused, effects = reduce(state, RefundSettled(T0, "r1", refunded=False, reason="declined"))
    assert effects == ()
    assert refused.is_at_rest
