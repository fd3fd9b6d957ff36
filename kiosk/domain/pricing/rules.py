"""Promotion rules as loaded from head office, and the immutable, indexed set of them.

A rule's `kind` fixes its stage (docs/promotions.md, "How a basket is priced"):
price (special and member prices) -> group (multi-buy, mix & match) -> item
(percentage and amount off each line) -> basket (满减 thresholds, basket-wide
percentage and amount off) -> points (积分 multipliers, no price effect).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType
from typing import TypeAlias

from kiosk.domain.catalogue import Item, Unit

MEMBER_PRICE_ID = "member-price"  # reserved: the catalogue's Item.member_price_minor


class Kind(enum.Enum):
    PRICE = "price"
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    MULTI_BUY = "multi_buy"
    MIX_MATCH = "mix_match"
    THRESHOLD = "threshold"
    POINTS = "points"


class Stage(enum.IntEnum):
    PRICE = 0
    GROUP = 1
    ITEM = 2
    BASKET = 3
    POINTS = 4


@dataclass(frozen=True, slots=True)
class Scope:
    """Items a rule covers: an item matches when its id, department or any tag is listed."""

    items: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def matches(self, item: Item) -> bool:
        return (
            item.item_id in self.items
            or item.department in self.departments
            or not self.tags.isdisjoint(item.tags)
        )


@dataclass(frozen=True, slots=True)
class Window:
    """When a rule is active, in store-local wall-clock time; `until` bounds are exclusive."""

    valid_from: datetime | None = None
    valid_until: datetime | None = None
    days: frozenset[int] | None = None  # datetime.weekday(): Monday is 0
    minutes: tuple[int, int] | None = None  # daily [from, until) in minutes after midnight

    def contains(self, wall: datetime) -> bool:
        if self.valid_from is not None and wall < self.valid_from:
            return False
        if self.valid_until is not None and wall >= self.valid_until:
            return False
        if self.days is not None and wall.weekday() not in self.days:
            return False
        if self.minutes is not None:
            minute = wall.hour * 60 + wall.minute
            return self.minutes[0] <= minute < self.minutes[1]
        return True


ALWAYS = Window()


_STAGES = {
    Kind.PRICE: Stage.PRICE,
    Kind.MULTI_BUY: Stage.GROUP,
    Kind.MIX_MATCH: Stage.GROUP,
    Kind.PERCENT_OFF: Stage.ITEM,
    Kind.AMOUNT_OFF: Stage.ITEM,
    Kind.THRESHOLD: Stage.BASKET,
    Kind.POINTS: Stage.POINTS,
}


@dataclass(frozen=True, slots=True)
class Tier:
    spend_minor: int
    off_minor: int


@dataclass(frozen=True, slots=True)
class Rule:
    """One promotion. Only the fields of its kind are set (the loader enforces it)."""

    rule_id: str
    kind: Kind
    label: Mapping[str, str]
    priority: int = 0
    exclusive: bool = False
    window: Window = ALWAYS
    members_only: bool = False
    member_tiers: frozenset[str] = frozenset()
    coupon_codes: frozenset[str] = frozenset()
    min_spend_minor: int = 0
    scope: Scope | None = None  # None: every item
    exclude: Scope | None = None
    line_cap_minor: int | None = None
    basket_cap_minor: int | None = None
    max_applications: int | None = None
    price_minor: int | None = None  # price: per piece / per kg; groups: price of a group
    percent: Fraction | None = None
    amount_minor: int | None = None
    per_basket: bool = False
    quantity: int = 0  # group size of multi-buy and mix & match
    free: int = 0  # pieces free in each group
    tiers: tuple[Tier, ...] = ()
    repeat: bool = False
    multiplier: Fraction | None = None
    member_price: bool = False  # the implicit catalogue member-price rule
    # Derived once at load time, not on access: pricing asks for these in its innermost
    # loops (see __post_init__ for their meaning).
    stage: Stage = field(init=False, compare=False)
    line_level: bool = field(init=False, compare=False, repr=False)
    coupling: bool = field(init=False, compare=False, repr=False)
    pooled_per_item: bool = field(init=False, compare=False, repr=False)
    percent_ratio: tuple[int, int] = field(init=False, compare=False, repr=False)
    always_active: bool = field(init=False, compare=False, repr=False)
    # The kind and stage as plain flags: an enum member lookup costs more than the test.
    is_price: bool = field(init=False, compare=False, repr=False)
    is_group: bool = field(init=False, compare=False, repr=False)
    is_item: bool = field(init=False, compare=False, repr=False)
    is_basket: bool = field(init=False, compare=False, repr=False)
    is_points: bool = field(init=False, compare=False, repr=False)
    is_percent: bool = field(init=False, compare=False, repr=False)
    is_threshold: bool = field(init=False, compare=False, repr=False)
    is_multi_buy: bool = field(init=False, compare=False, repr=False)
    apply_group: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        stage = Stage.BASKET if self.per_basket else _STAGES[self.kind]
        derived = {
            "stage": stage,
            # Exclusive rules and price/group/item rules act on lines; the rest on the basket.
            "line_level": self.exclusive or stage < Stage.BASKET,
            # What it takes off one line depends on other lines.
            "coupling": stage is Stage.GROUP
            or self.basket_cap_minor is not None
            or (self.exclusive and stage is Stage.BASKET),
            # A multi-buy without shared limits treats each item on its own.
            "pooled_per_item": self.kind is Kind.MULTI_BUY
            and self.max_applications is None
            and self.basket_cap_minor is None,
            # percent / 100 as an integer ratio, for exact rounding without Fraction.
            "percent_ratio": (0, 1)
            if self.percent is None
            else (self.percent.numerator, 100 * self.percent.denominator),
            # No dates, days, hours or member condition: active in every context.
            "always_active": self.window == ALWAYS and not self.members_only,
            "is_price": stage is Stage.PRICE,
            "is_group": stage is Stage.GROUP,
            "is_item": stage is Stage.ITEM,
            "is_basket": stage is Stage.BASKET,
            "is_points": stage is Stage.POINTS,
            "is_percent": self.kind is Kind.PERCENT_OFF,
            "is_threshold": self.kind is Kind.THRESHOLD,
            "is_multi_buy": self.kind is Kind.MULTI_BUY,
            # Rules apply by this group, then rank: exclusive rules first, then by stage.
            "apply_group": 0 if self.exclusive else 1 + int(stage),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def covers(self, item: Item) -> bool:
        """Whether the rule's scope (less its exclusions) includes `item`."""
        if self.scope is not None and not self.scope.matches(item):
            return False
        return self.exclude is None or not self.exclude.matches(item)

    def threshold_reward(self, spend: int) -> int:
        """满减: the reduction a spend of `spend` earns before caps."""
        if self.repeat:
            tier = self.tiers[0]
            times = spend // tier.spend_minor
            if self.max_applications is not None:
                times = min(times, self.max_applications)
            return times * tier.off_minor
        reward = 0
        for tier in self.tiers:
            if spend >= tier.spend_minor:
                reward = tier.off_minor
        return reward


MEMBER_PRICE_RULE = Rule(
    rule_id=MEMBER_PRICE_ID,
    kind=Kind.PRICE,
    label=MappingProxyType({"zh_CN": "会员价", "en": "Member price"}),
    members_only=True,
    member_price=True,
)


_ITEM_MEMO_LIMIT = 50_000


# What decides which price and group rules fit a line of an item that is not
# label-priced (`fits_item`): (sold in pieces, shelf price, member price).
FitKey: TypeAlias = tuple[bool, int, int | None]


def fit_key(item: Item) -> FitKey:
    return (item.unit is Unit.EACH, item.price_minor, item.member_price_minor)


# The coupon-free rules covering one item, by rank, split for pricing
# (`PromotionSet.item_plan`):
#   plain         active in every context; fit every line of the item
#   limited       active in every context; price and group rules, which fit a line only
#                 if it is not label-priced (and, for groups, sold in pieces)
#   when          as `plain`, with dates, days, hours or member conditions
#   limited_when  as `limited`, with conditions
#   conditional   `when` and `limited_when`
#   fitted_to     the `fit_key` of the item the plan was made for
#   limited_fit, limited_when_fit
#                 `limited` and `limited_when` less the rules that do not fit a line of
#                 that item that is not label-priced (label-priced lines fit none)
# A plain tuple of ints, which the garbage collector stops tracking: the memo keeps one
# per item scanned, and as objects they would lengthen every full collection.
ItemPlan: TypeAlias = tuple[
    tuple[int, ...],
    tuple[int, ...],
    tuple[int, ...],
    tuple[int, ...],
    tuple[int, ...],
    FitKey,
    tuple[int, ...],
    tuple[int, ...],
]


def _limited(rule: Rule) -> bool:
    return rule.stage is Stage.PRICE or rule.stage is Stage.GROUP


def fits_item(rule: Rule, item: Item) -> bool:
    """Whether a rule fits a line of `item` that is not label-priced: a member price
    only below the shelf price, group deals only on items sold in pieces."""
    if rule.is_price:
        if rule.member_price:
            price = item.member_price_minor
            return price is not None and price < item.price_minor
        return True
    if rule.is_group:
        return item.unit is Unit.EACH
    return True


def _freeze_index(index: dict[str, list[int]]) -> Mapping[str, tuple[int, ...]]:
    return MappingProxyType({key: tuple(ranks) for key, ranks in index.items()})


@dataclass(frozen=True, slots=True)
class PromotionSet:
    """Validated promotions, ordered by rank (priority descending, then id) and indexed.

    `rules[rank]` is a rule; the indexes map an item id, department, tag or coupon code
    to the ranks of the rules that name it, so pricing looks only at rules that can
    apply to the basket's items. The catalogue member-price rule is always included.
    """

    source: str
    currency: str | None
    points_per_unit: Fraction | None
    rules: tuple[Rule, ...]
    by_item: Mapping[str, tuple[int, ...]] = field(repr=False)
    by_department: Mapping[str, tuple[int, ...]] = field(repr=False)
    by_tag: Mapping[str, tuple[int, ...]] = field(repr=False)
    unscoped: tuple[int, ...] = field(repr=False)  # coupon-free rules for every item
    by_coupon: Mapping[str, int] = field(repr=False)
    # item -> `item_plan(item)`: a memo of a pure function of the (immutable) rules, so
    # that repricing a basket on every scan does not re-derive each line's candidates.
    _item_memo: dict[tuple[str, str, tuple[str, ...]], ItemPlan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(
        cls,
        source: str,
        currency: str | None,
        points_per_unit: Fraction | None,
        rules: Iterable[Rule],
    ) -> PromotionSet:
        ranked = tuple(sorted((*rules, MEMBER_PRICE_RULE), key=lambda r: (-r.priority, r.rule_id)))
        by_item: dict[str, list[int]] = {}
        by_department: dict[str, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        unscoped: list[int] = []
        by_coupon: dict[str, int] = {}
        for rank, rule in enumerate(ranked):
            for code in rule.coupon_codes:
                by_coupon[code] = rank
            if rule.coupon_codes:
                continue  # reached through by_coupon once a shopper presents a code
            if rule.scope is None:
                unscoped.append(rank)
                continue
            for key in rule.scope.items:
                by_item.setdefault(key, []).append(rank)
            for key in rule.scope.departments:
                by_department.setdefault(key, []).append(rank)
            for key in rule.scope.tags:
                by_tag.setdefault(key, []).append(rank)
        return cls(
            source=source,
            currency=currency,
            points_per_unit=points_per_unit,
            rules=ranked,
            by_item=_freeze_index(by_item),
            by_department=_freeze_index(by_department),
            by_tag=_freeze_index(by_tag),
            unscoped=tuple(unscoped),
            by_coupon=MappingProxyType(by_coupon),
        )

    @classmethod
    def empty(cls, currency: str | None = None) -> PromotionSet:
        """No promotions (member prices from the catalogue still apply)."""
        return cls.build("<none>", currency, None, ())

    def candidates(self, item: Item) -> set[int]:
        """Ranks of the coupon-free rules whose scope names `item` (exclusions not yet
        applied); rules without a scope are in `unscoped`, coupon rules in `by_coupon`."""
        ranks = set(self.by_item.get(item.item_id, ()))
        ranks.update(self.by_department.get(item.department, ()))
        for tag in item.tags:
            ranks.update(self.by_tag.get(tag, ()))
        return ranks

    def item_ranks(self, item: Item) -> tuple[int, ...]:
        """Ranks, ascending, of the coupon-free rules that cover `item` (scope and
        exclusions applied), whatever their dates, days, hours and member conditions."""
        plain, limited, when, limited_when, *_ = self.item_plan(item)
        return tuple(sorted((*plain, *limited, *when, *limited_when)))

    def item_plan(self, item: Item) -> ItemPlan:
        """`item_ranks(item)` sorted for pricing (see `ItemPlan`); memoised per item."""
        key = (item.item_id, item.department, item.tags)
        plan = self._item_memo.get(key)
        if plan is None:
            rules = self.rules
            found = [r for r in self.candidates(item) if rules[r].covers(item)]
            found.extend(r for r in self.unscoped if rules[r].covers(item))
            found.sort()
            always = [r for r in found if rules[r].always_active]
            when = [r for r in found if not rules[r].always_active]
            limited = tuple(r for r in always if _limited(rules[r]))
            limited_when = tuple(r for r in when if _limited(rules[r]))
            plan = (
                tuple(r for r in always if not _limited(rules[r])),
                limited,
                tuple(r for r in when if not _limited(rules[r])),
                limited_when,
                tuple(when),
                fit_key(item),
                tuple(r for r in limited if fits_item(rules[r], item)),
                tuple(r for r in limited_when if fits_item(rules[r], item)),
            )
            if len(self._item_memo) >= _ITEM_MEMO_LIMIT:
                self._item_memo.clear()  # bounded: a week of scans sees many items
            self._item_memo[key] = plan
        return plan

    def __len__(self) -> int:
        """Number of head-office promotions (the implicit member-price rule not counted)."""
        return len(self.rules) - 1
