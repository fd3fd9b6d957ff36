"""`price_basket`: the pure function basket -> priced basket (SPEC section 3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from kiosk.domain.catalogue import Unit
from kiosk.domain.money import MoneyError, currency
from kiosk.domain.pricing.allocation import round_ratio
from kiosk.domain.pricing.apply import Evaluator, PreparedLine, Work
from kiosk.domain.pricing.conflicts import Bounds, apply_order, effective
from kiosk.domain.pricing.coupons import CouponCheck, check_coupons, member_qualifies
from kiosk.domain.pricing.model import (
    BasketLine,
    CouponRejection,
    CouponRejectReason,
    Discount,
    PricedBasket,
    PricedLine,
    PricingContext,
    PricingError,
)
from kiosk.domain.pricing.points import points_earned
from kiosk.domain.pricing.resolution import resolve
from kiosk.domain.pricing.rules import Kind, PromotionSet, Rule, Stage
from kiosk.domain.pricing.tax import tax_breakdown


def price_basket(
    lines: Sequence[BasketLine], promotions: PromotionSet, ctx: PricingContext
) -> PricedBasket:
    """Price `lines` with `promotions` for the shopper in `ctx`.

    Pure: the same input always gives the same output, whatever the order of the lines
    (totals, and which line gets which share, depend on line ids, not positions).
    Raises `PricingError` for a basket that cannot be priced: duplicate line ids, an
    item in another currency, a tax class without a rate, a weighed item without weight.
    """
    _check_context(promotions, ctx)
    prepared = [_prepare(i, line, ctx) for i, line in enumerate(lines)]
    if len({p.line_id for p in prepared}) != len(prepared):
        raise PricingError("basket has two lines with the same line_id")
    wall = ctx.now.replace(tzinfo=None)
    subtotal = sum(p.base for p in prepared)
    coupons = check_coupons(
        ctx.coupons,
        redeemed=ctx.redeemed_coupons,
        promotions=promotions,
        wall=wall,
        member=ctx.member,
        subtotal=subtotal,
    )
    eligible = _eligible(prepared, promotions, ctx, wall, coupons)
    rules = promotions.rules
    applicable = [r for r in sorted(eligible) if rules[r].kind is not Kind.POINTS]
    ev = Evaluator(prepared, rules, eligible, ctx.rounding)
    bounds = Bounds(ev)
    order = apply_order(rules, effective(bounds, applicable))
    work = resolve(ev, order, bounds)

    explain = _Explainer(rules)
    priced = explain.lines(prepared, work)
    savings = sum(p.base_minor - p.net_minor for p in priced)
    taxes = tax_breakdown(priced, ctx.tax_rates, inclusive=ctx.tax_inclusive, rounding=ctx.rounding)
    tax = sum(t.tax_minor for t in taxes)
    multipliers, points_rules = _multipliers(eligible, rules, work)
    points = 0
    if ctx.member is not None and promotions.points_per_unit is not None:
        per_minor = promotions.points_per_unit / 10 ** currency(ctx.currency).exponent
        points = points_earned(work.net, multipliers, per_minor)
    applied, rejected = _settle_coupons(coupons, ev, work, points_rules)
    return PricedBasket(
        currency=ctx.currency,
        tax_inclusive=ctx.tax_inclusive,
        lines=priced,
        basket_discounts=explain.discounts([(r, a) for r, a in work.basket_totals if a > 0]),
        subtotal_minor=subtotal,
        savings_minor=savings,
        tax_minor=tax,
        total_minor=subtotal - savings + (0 if ctx.tax_inclusive else tax),
        taxes=taxes,
        points_earned=points,
        points_promotions=tuple(rules[r].rule_id for r in sorted(points_rules)),
        coupons_applied=tuple(applied),
        coupons_rejected=tuple(rejected),
    )


def _check_context(promotions: PromotionSet, ctx: PricingContext) -> None:
    try:
        currency(ctx.currency)
    except MoneyError as exc:
        raise PricingError(f"pricing context: {exc}") from None
    if promotions.currency is not None and promotions.currency != ctx.currency:
        raise PricingError(
            f"promotions from {promotions.source} are in {promotions.currency}, "
            f"the store prices in {ctx.currency}"
        )
    for tax_class, rate in ctx.tax_rates.items():
        if rate < 0:
            raise PricingError(f"tax rate for {tax_class!r} is negative: {rate}")


def _prepare(index: int, line: BasketLine, ctx: PricingContext) -> PreparedLine:
    item = line.item
    where = f"basket line {line.line_id!r} (item {item.item_id!r})"
    if item.currency != ctx.currency:
        raise PricingError(f"{where}: priced in {item.currency}, the store uses {ctx.currency}")
    if item.tax_class not in ctx.tax_rates:
        raise PricingError(
            f"{where}: no tax rate for tax class {item.tax_class!r}; "
            f"configured: {', '.join(sorted(ctx.tax_rates)) or 'none'}"
        )
    if line.quantity < 1:
        raise PricingError(f"{where}: quantity must be at least 1, got {line.quantity}")
    if item.price_minor < 0:
        raise PricingError(f"{where}: negative catalogue price {item.price_minor}")
    if line.label_price_minor is not None:
        if line.label_price_minor < 0:
            raise PricingError(f"{where}: negative label price {line.label_price_minor}")
        base = line.label_price_minor * line.quantity
    elif item.unit is Unit.KG:
        if line.weight_g is None or line.weight_g <= 0:
            raise PricingError(f"{where}: sold by the kg but weight_g is {line.weight_g}")
        if line.quantity != 1:
            raise PricingError(f"{where}: a weighed line has quantity 1, got {line.quantity}")
        base = round_ratio(line.weight_g * item.price_minor, 1000, ctx.rounding)
    else:
        base = item.price_minor * line.quantity
    return PreparedLine(
        index=index,
        line_id=line.line_id,
        item=item,
        quantity=line.quantity,
        weight_g=line.weight_g,
        label_priced=line.label_price_minor is not None,
        unit_price=item.price_minor,
        base=base,
    )


def _eligible(
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
    active: dict[int, bool] = {}
    unlocked = [rank for rank in coupons.unlocked if _active(rules[rank], ctx, wall)]
    # item id -> (ranks that fit every line of it, price and group ranks), active now
    per_item: dict[str, tuple[Sequence[int], Sequence[int]]] = {}
    found: defaultdict[int, list[int]] = defaultdict(list)
    for line in lines:
        item = line.item
        ranks = per_item.get(item.item_id)
        if ranks is None:
            plan = promotions.item_plan(item)
            if plan.when or plan.limited_when or unlocked:
                for rank in (*plan.when, *plan.limited_when):
                    if rank not in active:
                        active[rank] = _active(rules[rank], ctx, wall)
                plain = [*plan.plain, *(r for r in plan.when if active[r])]
                limited = [*plan.limited, *(r for r in plan.limited_when if active[r])]
                for rank in unlocked:
                    if rules[rank].covers(item):
                        (limited if _limited(rules[rank]) else plain).append(rank)
                ranks = (plain, limited)
            else:
                ranks = (plan.plain, plan.limited)
            per_item[item.item_id] = ranks
        index = line.index
        for rank in ranks[0]:
            found[rank].append(index)
        for rank in ranks[1]:
            if _fits(rules[rank], line):
                found[rank].append(index)
    return {rank: tuple(indices) for rank, indices in found.items()}


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


class _Explainer:
    """Builds the explained lines; each Discount gets its own copy of its rule's label."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.ids: dict[int, str] = {}
        self.labels: dict[int, dict[str, str]] = {}

    def discounts(self, entries: Sequence[tuple[int, int]]) -> tuple[Discount, ...]:
        ids, labels = self.ids, self.labels
        for rank, _amount in entries:
            if rank not in ids:
                rule = self.rules[rank]
                ids[rank], labels[rank] = rule.rule_id, dict(rule.label)
        return tuple([Discount(ids[r], labels[r].copy(), amount) for r, amount in entries])

    def lines(self, prepared: Sequence[PreparedLine], work: Work) -> tuple[PricedLine, ...]:
        disc, shares, net = work.disc, work.shares, work.net
        discounts = self.discounts
        out = []
        for p in prepared:
            index = p.index
            own = disc.get(index)
            shared = shares.get(index)
            out.append(
                PricedLine(
                    p.line_id,
                    p.item.item_id,
                    p.quantity,
                    p.weight_g,
                    p.unit_price,
                    p.base,
                    discounts(own) if own else (),
                    discounts(shared) if shared else (),
                    net[index],
                    p.item.tax_class,
                )
            )
        return tuple(out)


def _multipliers(
    eligible: dict[int, tuple[int, ...]], rules: Sequence[Rule], work: Work
) -> tuple[dict[int, Fraction], set[int]]:
    """Per line, the highest-ranked points rule's multiplier; and the rules that count."""
    chosen: dict[int, int] = {}
    for rank in sorted(eligible):  # by rank: the first rule to reach a line decides it
        if rules[rank].kind is Kind.POINTS:
            for i in eligible[rank]:
                chosen.setdefault(i, rank)
    multipliers: dict[int, Fraction] = {}
    used: set[int] = set()
    for i, rank in chosen.items():
        multiplier = rules[rank].multiplier
        assert multiplier is not None
        multipliers[i] = multiplier
        if work.net[i] > 0:
            used.add(rank)
    return multipliers, used


def _settle_coupons(
    coupons: CouponCheck, ev: Evaluator, work: Work, points_rules: set[int]
) -> tuple[list[str], list[CouponRejection]]:
    """Which unlocked coupons the chosen combination used, and why the others were not."""
    if not coupons.unlocked:
        return [], list(coupons.rejected)
    gave = {r for entries in (*work.disc.values(), *work.shares.values()) for r, _ in entries}
    applied: list[str] = []
    rejected = list(coupons.rejected)
    for rank, code in coupons.unlocked.items():
        rule = ev.rules[rank]
        if rank in gave or rank in points_rules:
            applied.append(code)
            continue
        alone = ev.run([rank]) if rank in ev.eligible and rule.kind is not Kind.POINTS else None
        if alone is not None and alone.total() < sum(ev.bases):
            reason = CouponRejectReason.NOT_COMBINABLE
        elif rule.kind is Kind.THRESHOLD and rank in ev.eligible:
            reason = CouponRejectReason.BELOW_MIN_SPEND
        else:
            reason = CouponRejectReason.NOT_APPLICABLE
        rejected.append(CouponRejection(code, reason, rule.rule_id))
    return applied, rejected
