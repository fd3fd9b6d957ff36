"""What goes into pricing and what comes out (SPEC section 3, "Pricing and promotions").

All amounts are integer minor units of `PricingContext.currency`. The result types are
frozen dataclasses of plain values so the journal codec (kiosk.domain.codec) can store a
priced basket and read it back unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from kiosk import errors
from kiosk.domain.catalogue import Item
from kiosk.domain.money import Rounding


class PricingError(errors.KioskError):
    """A basket or pricing context cannot be priced (currency, tax class, weight, line ids)."""


class PromotionError(errors.PromotionError):
    """A promotions file is invalid; the message names the source, the rule and the field."""

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        index: int | None = None,
        rule_id: str | None = None,
        field: str | None = None,
    ) -> None:
        where = source
        if index is not None:
            where += f": promotions[{index}]"
            if rule_id:
                where += f" (id {rule_id!r})"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.index = index
        self.rule_id = rule_id
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Member:
    """The loyalty member (会员) identified for this basket."""

    member_id: str
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One basket line as the checkout holds it.

    `quantity` counts pieces (1 for a weighed line); `weight_g` is required for items sold
    by the kg unless `label_price_minor` (the price printed on a variable-measure label)
    is given, in which case that price times `quantity` is the line's base amount.
    """

    line_id: str
    item: Item
    quantity: int = 1
    weight_g: int | None = None
    label_price_minor: int | None = None


@dataclass(frozen=True, slots=True)
class PricingContext:
    """Everything besides the basket that pricing depends on.

    `now` is the store's local wall-clock time. It may be naive or aware; when aware its
    tzinfo is ignored and its wall-clock fields are used, so pass it already converted
    to the store's time zone (promotion windows are written in store-local time).
    Coupon codes are compared after stripping blanks and upper-casing.
    """

    now: datetime
    currency: str
    rounding: Rounding
    tax_inclusive: bool
    tax_rates: Mapping[str, Fraction]
    member: Member | None = None
    coupons: tuple[str, ...] = ()
    redeemed_coupons: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Discount:
    """One explained reduction: which rule, its label per locale, how much (positive)."""

    rule_id: str
    label: dict[str, str]
    amount_minor: int


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A priced line.

    `unit_price_minor` is per piece, or per kg for weighed items. `discounts` are the
    line's own reductions (special and member prices, multi-buys, item discounts);
    `basket_shares` are this line's shares of basket-wide reductions (满减, basket
    coupons), which `PricedBasket.basket_discounts` also lists once as totals.
    net = base − Σ discounts − Σ basket_shares.
    """

    line_id: str
    item_id: str
    quantity: int
    weight_g: int | None
    unit_price_minor: int
    base_minor: int
    discounts: tuple[Discount, ...]
    basket_shares: tuple[Discount, ...]
    net_minor: int
    tax_class: str

    @property
    def discount_minor(self) -> int:
        """Everything taken off this line, its shares of basket discounts included."""
        return self.base_minor - self.net_minor


@dataclass(frozen=True, slots=True)
class TaxLine:
    """Tax at one rate. gross = net + tax, whichever of the two the shelf prices include."""

    rate: Fraction
    tax_classes: tuple[str, ...]
    net_minor: int
    tax_minor: int
    gross_minor: int


class CouponRejectReason(enum.Enum):
    UNKNOWN = "unknown"  # no promotion has this code
    ALREADY_REDEEMED = "already_redeemed"  # single use: redeemed in an earlier sale
    DUPLICATE = "duplicate"  # presented twice, or a second code for the same promotion
    NOT_ACTIVE = "not_active"  # outside the promotion's dates, days or hours
    MEMBERS_ONLY = "members_only"  # needs a member (of a given tier)
    BELOW_MIN_SPEND = "below_min_spend"  # basket subtotal below the coupon's minimum
    NOT_APPLICABLE = "not_applicable"  # nothing in the basket it applies to
    NOT_COMBINABLE = "not_combinable"  # valid, but other promotions give a better price


@dataclass(frozen=True, slots=True)
class CouponRejection:
    code: str
    reason: CouponRejectReason
    rule_id: str | None = None


@dataclass(frozen=True, slots=True)
class PricedBasket:
    """The priced basket.

    Invariants (tested): subtotal = Σ base; savings = Σ (base − net) over lines;
    Σ net = subtotal − savings; total = Σ net when prices include tax and
    Σ net + tax_minor when they exclude it; Σ taxes.gross = total.
    `basket_discounts` lists basket-wide reductions once; they are already allocated
    onto lines as `basket_shares` and counted in `savings_minor`.
    """

    currency: str
    tax_inclusive: bool
    lines: tuple[PricedLine, ...]
    basket_discounts: tuple[Discount, ...]
    subtotal_minor: int
    savings_minor: int
    tax_minor: int
    total_minor: int
    taxes: tuple[TaxLine, ...]
    points_earned: int
    points_promotions: tuple[str, ...]
    coupons_applied: tuple[str, ...]
    coupons_rejected: tuple[CouponRejection, ...]

    def line(self, line_id: str) -> PricedLine:
        """The priced line with `line_id` (KeyError when there is none)."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)
