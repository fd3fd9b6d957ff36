"""What the touch UI is shown: immutable `LaneSnapshot`s built by the lane's worker.

A snapshot is plain frozen data (strings already formatted for the current locale,
item names in that locale), so a screen only lays it out: it needs no catalogue, no
pricing and no money arithmetic. UI texts that are not data (button labels, prompts,
notices) are keys into the UI's i18n catalogue; `Notice.detail` carries the technical
detail (English) a technician can act on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.money import Money
from kiosk.domain.pricing import Discount, PricedBasket, PricedLine
from kiosk.domain.transaction import AttendantReason, Line, Transaction


class Screen(enum.StrEnum):
    """Which screen the UI shows. The attendant-required overlay is `LaneSnapshot.overlay`."""

    ATTRACT = "attract"
    BASKET = "basket"
    PRODUCE = "produce"
    MEMBER = "member"
    PAYMENT_CHOICE = "payment_choice"
    PAYING = "paying"
    RECEIPT = "receipt"
    ATTENDANT_PANEL = "attendant_panel"
    OUT_OF_SERVICE = "out_of_service"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell the shopper: an i18n key, its parameters, and technical detail."""

    key: str
    params: tuple[tuple[str, str], ...] = ()
    detail: str = ""
    error: bool = True


@dataclass(frozen=True, slots=True)
class DiscountView:
    label: str
    amount: str  # formatted, positive ("¥3.50")


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: str
    item_id: str
    name: str
    quantity: int
    weight_g: int | None
    unit_price: str  # "¥12.98" per piece or "¥12.98/kg"
    amount: str  # what the shopper pays for the line, discounts taken off
    base: str  # before discounts
    savings: str | None
    discounts: tuple[DiscountView, ...]
    age_limit: int


@dataclass(frozen=True, slots=True)
class ProduceTile:
    item_id: str
    plu: str
    name: str
    price: str  # "¥12.98/kg" or "¥9.90"
    by_weight: bool
    image: str | None


@dataclass(frozen=True, slots=True)
class WeightView:
    grams: int | None
    stable: bool
    sellable: bool
    status: str  # drivers.scale.ScaleStatus value


@dataclass(frozen=True, slots=True)
class PaymentView:
    methods: tuple[str, ...]
    amount: str
    method: str | None = None  # the method in progress
    prompt: str | None = None  # i18n key: "show_code", "insert_card", "enter_pin", ...
    failure: str | None = None  # the last failed attempt's reason, shown on the choice
    e_receipt: bool = False  # the printer failed its pre-payment check


@dataclass(frozen=True, slots=True)
class ReceiptView:
    tx_id: str
    total: str
    printed: bool
    e_receipt_url: str | None


@dataclass(frozen=True, slots=True)
class AttendantView:
    attendant_id: str
    name: str
    role: str
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class DeviceView:
    role: str
    state: str
    connected: bool
    simulated: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RefundSaleView:
    tx_id: str
    when: str  # "11-27 14:05", kiosk-local
    total: str


@dataclass(frozen=True, slots=True)
class RefundPaymentView:
    intent_id: str
    method: str
    paid: str
    refundable: str
    refundable_minor: int


@dataclass(frozen=True, slots=True)
class RefundView:
    """The attendant's refund desk: pick a sale (scan its receipt), refund a payment."""

    recent: tuple[RefundSaleView, ...]  # the last sales, newest first
    sale: RefundSaleView | None = None
    payments: tuple[RefundPaymentView, ...] = ()
    busy: bool = False  # a refund is with the terminal/provider now
    unresolved: str | None = None  # amount of a refund whose outcome is not known yet


@dataclass(frozen=True, slots=True)
class LaneSnapshot:
    """Everything a screen shows, for one moment. `seq` grows with every snapshot."""

    seq: int
    screen: Screen
    locale: str
    large_text: bool
    store_name: str
    status: str
    lines: tuple[LineView, ...] = ()
    basket_discounts: tuple[DiscountView, ...] = ()
    item_count: int = 0
    subtotal: str = ""
    savings: str = ""  # empty when nothing is saved
    total: str = ""
    total_minor: int = 0
    last_line_id: str | None = None
    member: str | None = None  # masked
    overlay: AttendantReason | None = None
    overlay_line: str | None = None  # the line an attendant is asked to remove
    attendant: AttendantView | None = None
    pin_locked_s: int = 0
    payment: PaymentView | None = None
    produce_query: str = ""
    produce: tuple[ProduceTile, ...] = ()
    weight: WeightView | None = None
    phone_masked: str = ""
    notice: Notice | None = None
    receipt: ReceiptView | None = None
    devices: tuple[DeviceView, ...] = ()
    out_of_service_reason: str | None = None
    refund: RefundView | None = None
    extras: tuple[tuple[str, str], ...] = field(default=())


def money_text(minor: int, currency: str, locale: str) -> str:
    return Money(minor, currency).format(locale)


def discount_view(d: Discount, currency: str, locale: str) -> DiscountView:
    label = d.label.get(locale) or next(iter(d.label.values()), d.rule_id)
    return DiscountView(label, money_text(d.amount_minor, currency, locale))


def unit_price_text(item: Item, locale: str) -> str:
    price = money_text(item.price_minor, item.currency, locale)
    return f"{price}/kg" if item.unit is Unit.KG else price


def line_views(state: Transaction, priced: PricedBasket, locale: str) -> tuple[LineView, ...]:
    """One view per active line, in scan order, with its discounts explained."""
    currency = priced.currency
    priced_lines = {p.line_id: p for p in priced.lines}
    views: list[LineView] = []
    for line in state.active_lines:
        p = priced_lines.get(line.line_id)
        views.append(_line_view(line, p, currency, locale))
    return tuple(views)


def _line_view(line: Line, p: PricedLine | None, currency: str, locale: str) -> LineView:
    item = line.item
    discounts: tuple[DiscountView, ...] = ()
    saved = amount = base = 0
    if p is not None:  # every active line is priced; a missing one shows zero, never fails
        discounts = tuple(discount_view(d, currency, locale) for d in p.discounts)
        saved, amount, base = p.discount_minor, p.net_minor, p.base_minor
    return LineView(
        line_id=line.line_id,
        item_id=item.item_id,
        name=item.name(locale),
        quantity=line.quantity,
        weight_g=line.weight_g,
        unit_price=unit_price_text(item, locale),
        amount=money_text(amount, currency, locale),
        base=money_text(base, currency, locale),
        savings=money_text(saved, currency, locale) if saved else None,
        discounts=discounts,
        age_limit=int(item.age_limit),
    )


def produce_tile(item: Item, locale: str) -> ProduceTile:
    return ProduceTile(
        item_id=item.item_id,
        plu=item.plu or "",
        name=item.name(locale),
        price=unit_price_text(item, locale),
        by_weight=item.unit is Unit.KG,
        image=item.image,
    )


#: The character that stands for a hidden digit on screen (phone numbers, PINs): the
#: asterisk, as in the "139****8000" shoppers know, and in every font (the bullet U+2022
#: is not in WenQuanYi Zen Hei and showed as empty boxes).
MASK = "*"


def mask_phone(digits: str) -> str:
    """A phone number as shown while typed: all but the last 4 digits hidden."""
    if len(digits) <= 4:
        return digits
    return MASK * (len(digits) - 4) + digits[-4:]
