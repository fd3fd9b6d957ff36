"""Which rules may apply to which lines of a basket right now (docs/promotions.md, "How a
basket is priced", step 2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.pricing.coupons import CouponCheck, member_qualifies
from kiosk.domain.pricing.lines import PreparedLine
from kiosk.domain.pricing.model import PricingContext
from kiosk.domain.pricing.rules import FitKey, ItemPlan, PromotionSet, Rule, Stage, fits_item

_EACH = Unit.EACH


def eligible_lines(
    lines: Sequence[PreparedLine],
    promotions: PromotionSet,
    ctx: PricingContext,
    wall: datetime,
    coupons: CouponCheck,
) -> dict[int, tuple[int, ...]]:
    """Rank -> indices of the lines the rule may apply to, for rules active right now.

    Only the rules the indexes name for a line's item, department or tags are looked
    at, plus the active rules without a scope and the coupons presented.
    """
    rules = promotions.rules
    now = _Now(rules, ctx, wall, coupons)
    ranks_now = now.ranks
    item_plan = promotions.item_plan
    # item id -> (ranks that fit every line of it, price and group ranks, those of them
    # that fit a line of `item` not label-priced, `item`), active now
    per_item: dict[str, tuple[Sequence[int], Sequence[int], Sequence[int], Item]] = {}
    found: defaultdict[int, list[int]] = defaultdict(list)
    for line in lines:
        item = line.item
        ranks = per_item.get(item.item_id)
        if ranks is None:
            ranks = per_item[item.item_id] = ranks_now(item_plan(item), item)
        index = line.index
        for rank in ranks[0]:
            found[rank].append(index)
        if ranks[1] and not line.label_priced:  # no price or group deal on a label
            fitted = ranks[2]
            fitted_to = ranks[3]
            if item is not fitted_to and not _same_item_fit(item, fitted_to):
                fitted = [r for r in ranks[1] if _fits(rules[r], line)]
            for rank in fitted:
                found[rank].append(index)
    return {rank: tuple(indices) for rank, indices in found.items()}


class _Now:
    """Which rules are active in one pricing context (worked out as they come up)."""

    __slots__ = ("active", "ctx", "rules", "unlocked", "wall")

    def __init__(
        self, rules: Sequence[Rule], ctx: PricingContext, wall: datetime, coupons: CouponCheck
    ) -> None:
        self.rules, self.ctx, self.wall = rules, ctx, wall
        self.active: dict[int, bool] = {}
        self.unlocked = [rank for rank in coupons.unlocked if _active(rules[rank], ctx, wall)]

    def ranks(
        self, plan: ItemPlan, item: Item
    ) -> tuple[Sequence[int], Sequence[int], Sequence[int], Item]:
        """`plan` less the rules inactive now, plus the coupons unlocked that cover
        `item`: ranks that fit every line of it, its price and group ranks, those of
        them that fit a line of `item` that is not label-priced, and `item`."""
        plain, limited, when, limited_when, conditional, fitted_to, limited_fit, when_fit = plan
        rules, unlocked = self.rules, self.unlocked
        same = _same_fit(item, fitted_to)
        if not conditional and not unlocked:
            if same:
                return plain, limited, limited_fit, item
            return plain, limited, [r for r in limited if fits_item(rules[r], item)], item
        active = self.active
        for rank in conditional:
            if rank not in active:
                active[rank] = _active(rules[rank], self.ctx, self.wall)
        now = active.__getitem__
        if when:
            plain += tuple(filter(now, when))
        fitted = limited_fit
        if limited_when:
            limited += tuple(filter(now, limited_when))
            fitted += tuple(filter(now, when_fit))
        if not unlocked:
            if same:
                return plain, limited, fitted, item
            return plain, limited, [r for r in limited if fits_item(rules[r], item)], item
        more, more_limited = list(plain), list(limited)
        for rank in unlocked:
            if rules[rank].covers(item):
                (more_limited if _limited(rules[rank]) else more).append(rank)
        return more, more_limited, [r for r in more_limited if fits_item(rules[r], item)], item


def _same_fit(item: Item, fitted_to: FitKey) -> bool:
    """Whether price and group rules fit lines of `item` as they fit those of an item
    with `fit_key` `fitted_to`."""
    return (
        item.price_minor == fitted_to[1]
        and item.member_price_minor == fitted_to[2]
        and (item.unit is _EACH) == fitted_to[0]
    )


def _same_item_fit(item: Item, other: Item) -> bool:
    """Whether price and group rules fit lines of `item` as they fit those of `other`."""
    return (
        item.price_minor == other.price_minor
        and item.member_price_minor == other.member_price_minor
        and item.unit is other.unit
    )


def _limited(rule: Rule) -> bool:
    return rule.stage is Stage.PRICE or rule.stage is Stage.GROUP


def _active(rule: Rule, ctx: PricingContext, wall: datetime) -> bool:
    return rule.window.contains(wall) and member_qualifies(rule, ctx.member)


def _fits(rule: Rule, line: PreparedLine) -> bool:
    """Kind-specific limits: labels keep their printed price; groups count pieces."""
    stage = rule.stage
    if stage is Stage.PRICE:
        if line.label_priced:
            return False
        if rule.member_price:
            price = line.item.member_price_minor
            return price is not None and price < line.unit_price
        return True
    if stage is Stage.GROUP:
        return line.countable
    return True
