"""The checkout transaction as a pure reducer: (state, event) -> (state, effects).

States (SPEC section 3): idle -> shopping -> (attendant_required) -> paying -> paid
-> receipt -> idle, plus suspended, cancelled and out_of_service.

The shell (kiosk.checkout) calls `reduce` first, which validates the event, then
appends the event to the journal, and only then runs the returned effects. Replaying
the journal through `reduce` therefore rebuilds exactly the state the kiosk had.
Events carry everything they need (the item as it was sold, the priced basket as it
was charged), so a replay never depends on today's catalogue or promotions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal

from kiosk.domain.catalogue import AgeLimit, Item
from kiosk.domain.pricing import PricedBasket
from kiosk.errors import TransitionError


class Status(enum.Enum):
    IDLE = "idle"
    SHOPPING = "shopping"
    ATTENDANT_REQUIRED = "attendant_required"
    PAYING = "paying"
    PAID = "paid"
    RECEIPT = "receipt"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    OUT_OF_SERVICE = "out_of_service"


class AttendantReason(enum.Enum):
    AGE_CHECK = "age_check"
    VOID_LINE = "void_line"
    HELP = "help"
    WEIGHT_MISMATCH = "weight_mismatch"
    PAYMENT_UNRESOLVED = "payment_unresolved"


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class SessionStarted:
    at: datetime
    tx_id: str
    kind: Literal["session_started"] = "session_started"


@dataclass(frozen=True, slots=True)
class ItemAdded:
    at: datetime
    line_id: str
    item: Item
    quantity: int = 1
    weight_g: int | None = None
    label_price_minor: int | None = None
    kind: Literal["item_added"] = "item_added"


@dataclass(frozen=True, slots=True)
class QuantityChanged:
    at: datetime
    line_id: str
    quantity: int
    kind: Literal["quantity_changed"] = "quantity_changed"


@dataclass(frozen=True, slots=True)
class LineVoided:
    at: datetime
    line_id: str
    attendant_id: str
    kind: Literal["line_voided"] = "line_voided"


@dataclass(frozen=True, slots=True)
class MemberIdentified:
    at: datetime
    member_id: str
    kind: Literal["member_identified"] = "member_identified"


@dataclass(frozen=True, slots=True)
class AttendantCalled:
    at: datetime
    reason: AttendantReason
    kind: Literal["attendant_called"] = "attendant_called"


@dataclass(frozen=True, slots=True)
class AttendantApproved:
    at: datetime
    attendant_id: str
    reason: AttendantReason
    kind: Literal["attendant_approved"] = "attendant_approved"


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    """The shopper asked to pay: the basket is priced once and frozen."""

    at: datetime
    priced: PricedBasket
    kind: Literal["checkout_started"] = "checkout_started"


@dataclass(frozen=True, slots=True)
class CheckoutAbandoned:
    """Back from payment choice to the basket (nothing was charged)."""

    at: datetime
    kind: Literal["checkout_abandoned"] = "checkout_abandoned"


@dataclass(frozen=True, slots=True)
class PaymentStarted:
    """A payment intent, journalled before any byte goes to a pinpad or provider."""

    at: datetime
    intent_id: str
    method: str
    amount_minor: int
    kind: Literal["payment_started"] = "payment_started"


@dataclass(frozen=True, slots=True)
class PaymentSucceeded:
    at: datetime
    intent_id: str
    amount_minor: int
    reference: str  # masked card number, provider transaction id: never a PAN or payment code
    kind: Literal["payment_succeeded"] = "payment_succeeded"


@dataclass(frozen=True, slots=True)
class PaymentFailed:
    at: datetime
    intent_id: str
    reason: str
    kind: Literal["payment_failed"] = "payment_failed"


@dataclass(frozen=True, slots=True)
class ReceiptIssued:
    at: datetime
    printed: bool
    kind: Literal["receipt_issued"] = "receipt_issued"


@dataclass(frozen=True, slots=True)
class SessionClosed:
    at: datetime
    kind: Literal["session_closed"] = "session_closed"


@dataclass(frozen=True, slots=True)
class Suspended:
    at: datetime
    kind: Literal["suspended"] = "suspended"


@dataclass(frozen=True, slots=True)
class Resumed:
    at: datetime
    kind: Literal["resumed"] = "resumed"


@dataclass(frozen=True, slots=True)
class Cancelled:
    at: datetime
    reason: str
    kind: Literal["cancelled"] = "cancelled"


@dataclass(frozen=True, slots=True)
class OutOfService:
    at: datetime
    reason: str
    kind: Literal["out_of_service"] = "out_of_service"


@dataclass(frozen=True, slots=True)
class BackInService:
    at: datetime
    kind: Literal["back_in_service"] = "back_in_service"


@dataclass(frozen=True, slots=True)
class RefundStarted:
    """An attendant refunds (part of) a paid sale's payment; journalled before the provider
    hears of it. Only between shoppers: the lane takes no new shopper until it is settled."""

    at: datetime
    refund_id: str
    tx_id: str
    intent_id: str
    method: str
    amount_minor: int
    attendant_id: str
    kind: Literal["refund_started"] = "refund_started"


@dataclass(frozen=True, slots=True)
class RefundSettled:
    at: datetime
    refund_id: str
    refunded: bool
    reference: str = ""
    reason: str = ""
    kind: Literal["refund_settled"] = "refund_settled"


Event = (
    SessionStarted
    | ItemAdded
    | QuantityChanged
    | LineVoided
    | MemberIdentified
    | AttendantCalled
    | AttendantApproved
    | CheckoutStarted
    | CheckoutAbandoned
    | PaymentStarted
    | PaymentSucceeded
    | PaymentFailed
    | ReceiptIssued
    | SessionClosed
    | Suspended
    | Resumed
    | Cancelled
    | OutOfService
    | BackInService
    | RefundStarted
    | RefundSettled
)

EVENT_CLASSES: tuple[type[Event], ...] = (
    SessionStarted,
    ItemAdded,
    QuantityChanged,
    LineVoided,
    MemberIdentified,
    AttendantCalled,
    AttendantApproved,
    CheckoutStarted,
    CheckoutAbandoned,
    PaymentStarted,
    PaymentSucceeded,
    PaymentFailed,
    ReceiptIssued,
    SessionClosed,
    Suspended,
    Resumed,
    Cancelled,
    OutOfService,
    BackInService,
    RefundStarted,
    RefundSettled,
)

# The journal stores an event's `kind`; this maps it back to the class.
EVENT_TYPES: dict[str, type[Event]] = {
    next(f.default for f in fields(cls) if f.name == "kind"): cls  # type: ignore[misc]
    for cls in EVENT_CLASSES
}

# ---------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True)
class RequestAttendant:
    reason: AttendantReason


@dataclass(frozen=True, slots=True)
class RecordSale:
    """Write the sale record and its outbox message in the same journal transaction."""

    tx_id: str


@dataclass(frozen=True, slots=True)
class PrintReceipt:
    tx_id: str


@dataclass(frozen=True, slots=True)
class ChargePayment:
    intent_id: str
    method: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class IssueRefund:
    refund_id: str


@dataclass(frozen=True, slots=True)
class RecordRefund:
    """Write the refund record and its outbox message in the same journal transaction."""

    refund_id: str


Effect = RequestAttendant | RecordSale | PrintReceipt | ChargePayment | IssueRefund | RecordRefund

# ---------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class Line:
    line_id: str
    item: Item
    quantity: int
    weight_g: int | None
    label_price_minor: int | None
    voided: bool = False


@dataclass(frozen=True, slots=True)
class Payment:
    intent_id: str
    method: str
    amount_minor: int
    status: Literal["pending", "succeeded", "failed"]
    reference: str = ""
    failure: str = ""


@dataclass(frozen=True, slots=True)
class Transaction:
    status: Status = Status.IDLE
    tx_id: str | None = None
    started_at: datetime | None = None
    lines: tuple[Line, ...] = ()
    member_id: str | None = None
    attendant_reason: AttendantReason | None = None
    # Where to go back to when the attendant approves or the basket is resumed.
    resume_status: Status | None = None
    priced: PricedBasket | None = None
    payments: tuple[Payment, ...] = ()
    approved_age: bool = False
    out_of_service_reason: str | None = None
    closing_reason: str | None = field(default=None)
    pending_refund: RefundStarted | None = None

    @property
    def active_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.voided)

    @property
    def amount_due_minor(self) -> int:
        return self.priced.total_minor if self.priced else 0

    @property
    def paid_minor(self) -> int:
        return sum(p.amount_minor for p in self.payments if p.status == "succeeded")

    @property
    def pending_payment(self) -> Payment | None:
        return next((p for p in self.payments if p.status == "pending"), None)

    @property
    def is_at_rest(self) -> bool:
        """True when no shopper's transaction is open: the journal's replay starting point."""
        at_rest = self.status in (Status.IDLE, Status.OUT_OF_SERVICE)
        return at_rest and self.pending_refund is None


INITIAL = Transaction()

_BASKET_OPEN = (Status.SHOPPING, Status.ATTENDANT_REQUIRED)


def reduce(state: Transaction, event: Event) -> tuple[Transaction, tuple[Effect, ...]]:
    """Apply one event. Raises TransitionError when the event is not allowed now."""
    handler = _HANDLERS[event.kind]
    return handler(state, event)


def replay(events: list[Event], state: Transaction = INITIAL) -> Transaction:
    for event in events:
        state, _ = reduce(state, event)
    return state


def _refuse(state: Transaction, event: Event, why: str = "") -> TransitionError:
    detail = f": {why}" if why else ""
    return TransitionError(f"{event.kind} not allowed in state {state.status.value}{detail}")


def _require(state: Transaction, event: Event, *allowed: Status) -> None:
    if state.status not in allowed:
        raise _refuse(state, event)


def _line(state: Transaction, event: Event, line_id: str) -> Line:
    for line in state.lines:
        if line.line_id == line_id and not line.voided:
            return line
    raise _refuse(state, event, f"no open line {line_id!r}")


def _replace_line(state: Transaction, new: Line) -> tuple[Line, ...]:
    return tuple(new if line.line_id == new.line_id else line for line in state.lines)


def _no_pending_refund(state: Transaction, event: Event) -> None:
    if state.pending_refund is not None:
        raise _refuse(state, event, f"refund {state.pending_refund.refund_id} is unresolved")


def _session_started(
    state: Transaction, event: SessionStarted
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.IDLE)
    _no_pending_refund(state, event)
    return Transaction(status=Status.SHOPPING, tx_id=event.tx_id, started_at=event.at), ()


def _item_added(state: Transaction, event: ItemAdded) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, *_BASKET_OPEN)
    if event.quantity < 1:
        raise _refuse(state, event, "quantity must be at least 1")
    if any(line.line_id == event.line_id for line in state.lines):
        raise _refuse(state, event, f"line {event.line_id!r} exists already")
    line = Line(event.line_id, event.item, event.quantity, event.weight_g, event.label_price_minor)
    new = replace(state, lines=(*state.lines, line))
    needs_age_check = event.item.age_limit is not AgeLimit.NONE and not state.approved_age
    if needs_age_check and state.status is Status.SHOPPING:
        new = replace(
            new,
            status=Status.ATTENDANT_REQUIRED,
            attendant_reason=AttendantReason.AGE_CHECK,
            resume_status=Status.SHOPPING,
        )
        return new, (RequestAttendant(AttendantReason.AGE_CHECK),)
    return new, ()


def _quantity_changed(
    state: Transaction, event: QuantityChanged
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.SHOPPING)
    line = _line(state, event, event.line_id)
    if event.quantity < 1 or line.weight_g is not None or line.label_price_minor is not None:
        raise _refuse(state, event, "only counted lines take a quantity of at least 1")
    return replace(state, lines=_replace_line(state, replace(line, quantity=event.quantity))), ()


def _line_voided(state: Transaction, event: LineVoided) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, *_BASKET_OPEN)
    line = _line(state, event, event.line_id)
    return replace(state, lines=_replace_line(state, replace(line, voided=True))), ()


def _member_identified(
    state: Transaction, event: MemberIdentified
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, *_BASKET_OPEN)
    return replace(state, member_id=event.member_id), ()


def _attendant_called(
    state: Transaction, event: AttendantCalled
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.SHOPPING, Status.PAYING)
    new = replace(
        state,
        status=Status.ATTENDANT_REQUIRED,
        attendant_reason=event.reason,
        resume_status=state.status,
    )
    return new, (RequestAttendant(event.reason),)


def _attendant_approved(
    state: Transaction, event: AttendantApproved
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.ATTENDANT_REQUIRED)
    if event.reason is not state.attendant_reason:
        raise _refuse(state, event, f"pending reason is {state.attendant_reason}")
    new = replace(
        state,
        status=state.resume_status or Status.SHOPPING,
        attendant_reason=None,
        resume_status=None,
        approved_age=state.approved_age or event.reason is AttendantReason.AGE_CHECK,
    )
    return new, ()


def _checkout_started(
    state: Transaction, event: CheckoutStarted
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.SHOPPING)
    if not state.active_lines:
        raise _refuse(state, event, "the basket is empty")
    priced_ids = [line.line_id for line in event.priced.lines]
    if priced_ids != [line.line_id for line in state.active_lines]:
        raise _refuse(state, event, "priced basket does not match the basket's lines")
    return replace(state, status=Status.PAYING, priced=event.priced), ()


def _checkout_abandoned(
    state: Transaction, event: CheckoutAbandoned
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.PAYING)
    if state.pending_payment or state.paid_minor:
        raise _refuse(state, event, "a payment is pending or done; refund through an attendant")
    return replace(state, status=Status.SHOPPING, priced=None), ()


def _payment_started(
    state: Transaction, event: PaymentStarted
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.PAYING)
    if state.pending_payment is not None:
        raise _refuse(state, event, "another payment is still pending")
    if any(p.intent_id == event.intent_id for p in state.payments):
        raise _refuse(state, event, f"intent {event.intent_id!r} was used already")
    outstanding = state.amount_due_minor - state.paid_minor
    if not 0 < event.amount_minor <= outstanding:
        raise _refuse(state, event, f"amount must be between 1 and {outstanding}")
    payment = Payment(event.intent_id, event.method, event.amount_minor, "pending")
    effect = ChargePayment(event.intent_id, event.method, event.amount_minor)
    return replace(state, payments=(*state.payments, payment)), (effect,)


def _pending(state: Transaction, event: PaymentSucceeded | PaymentFailed) -> Payment:
    pending = state.pending_payment
    if pending is None or pending.intent_id != event.intent_id:
        raise _refuse(state, event, f"intent {event.intent_id!r} is not pending")
    return pending


def _payment_succeeded(
    state: Transaction, event: PaymentSucceeded
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.PAYING, Status.ATTENDANT_REQUIRED)
    pending = _pending(state, event)
    if event.amount_minor != pending.amount_minor:
        raise _refuse(state, event, "approved amount differs from the intent")
    done = replace(pending, status="succeeded", reference=event.reference)
    payments = tuple(done if p is pending else p for p in state.payments)
    new = replace(state, payments=payments)
    if new.paid_minor < new.amount_due_minor:
        return new, ()
    tx_id = new.tx_id
    assert tx_id is not None, "a paying transaction always has an id"
    new = replace(new, status=Status.PAID, attendant_reason=None, resume_status=None)
    return new, (RecordSale(tx_id), PrintReceipt(tx_id))


def _payment_failed(
    state: Transaction, event: PaymentFailed
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.PAYING, Status.ATTENDANT_REQUIRED)
    pending = _pending(state, event)
    failed = replace(pending, status="failed", failure=event.reason)
    return replace(state, payments=tuple(failed if p is pending else p for p in state.payments)), ()


def _receipt_issued(
    state: Transaction, event: ReceiptIssued
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.PAID)
    return replace(state, status=Status.RECEIPT), ()


def _session_closed(
    state: Transaction, event: SessionClosed
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.RECEIPT, Status.CANCELLED)
    return INITIAL, ()


def _suspended(state: Transaction, event: Suspended) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.SHOPPING)
    return replace(state, status=Status.SUSPENDED, resume_status=Status.SHOPPING), ()


def _resumed(state: Transaction, event: Resumed) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.SUSPENDED)
    return replace(state, status=Status.SHOPPING, resume_status=None), ()


def _cancelled(state: Transaction, event: Cancelled) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(
        state, event, Status.SHOPPING, Status.ATTENDANT_REQUIRED, Status.SUSPENDED, Status.PAYING
    )
    if state.paid_minor or state.pending_payment:
        raise _refuse(state, event, "money was taken or is pending; refund or resolve it first")
    return replace(state, status=Status.CANCELLED, closing_reason=event.reason), ()


def _out_of_service(
    state: Transaction, event: OutOfService
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.IDLE)
    _no_pending_refund(state, event)
    return replace(INITIAL, status=Status.OUT_OF_SERVICE, out_of_service_reason=event.reason), ()


def _back_in_service(
    state: Transaction, event: BackInService
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.OUT_OF_SERVICE)
    _no_pending_refund(state, event)
    return INITIAL, ()


def _refund_started(
    state: Transaction, event: RefundStarted
) -> tuple[Transaction, tuple[Effect, ...]]:
    _require(state, event, Status.IDLE, Status.OUT_OF_SERVICE)
    _no_pending_refund(state, event)
    if event.amount_minor < 1:
        raise _refuse(state, event, "a refund is at least 1 minor unit")
    return replace(state, pending_refund=event), (IssueRefund(event.refund_id),)


def _refund_settled(
    state: Transaction, event: RefundSettled
) -> tuple[Transaction, tuple[Effect, ...]]:
    pending = state.pending_refund
    if pending is None or pending.refund_id != event.refund_id:
        raise _refuse(state, event, f"refund {event.refund_id!r} is not pending")
    effects: tuple[Effect, ...] = (RecordRefund(event.refund_id),) if event.refunded else ()
    return replace(state, pending_refund=None), effects


_HANDLERS: dict[str, Callable[[Transaction, Any], tuple[Transaction, tuple[Effect, ...]]]] = {
    "session_started": _session_started,
    "item_added": _item_added,
    "quantity_changed": _quantity_changed,
    "line_voided": _line_voided,
    "member_identified": _member_identified,
    "attendant_called": _attendant_called,
    "attendant_approved": _attendant_approved,
    "checkout_started": _checkout_started,
    "checkout_abandoned": _checkout_abandoned,
    "payment_started": _payment_started,
    "payment_succeeded": _payment_succeeded,
    "payment_failed": _payment_failed,
    "receipt_issued": _receipt_issued,
    "session_closed": _session_closed,
    "suspended": _suspended,
    "resumed": _resumed,
    "cancelled": _cancelled,
    "out_of_service": _out_of_service,
    "back_in_service": _back_in_service,
    "refund_started": _refund_started,
    "refund_settled": _refund_settled,
}
