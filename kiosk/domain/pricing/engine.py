"""`price_basket`: the pure function basket -> priced basket (SPEC section 3)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from kiosk.domain.money import MoneyError, currency
from kiosk.domain.pricing.apply import Evaluator, Work
from kiosk.domain.pricing.conflicts import Bounds, apply_order, effective
from kiosk.domain.pricing.coupons import CouponCheck, check_coupons
from kiosk.domain.pricing.eligibility import eligible_lines
from kiosk.domain.pricing.explain import Explainer
from kiosk.domain.pricing.lines import PreparedLine, prepare
from kiosk.domain.pricing.model import (
    BasketLine,
    CouponRejection,
    CouponRejectReason,
    PricedBasket,
    PricingContext,
    PricingError,
)
from kiosk.domain.pricing.points import points_earned
from kiosk.domain.pricing.resolution import resolve
from kiosk.domain.pricing.rules import Kind, PromotionSet, Rule
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
    prepared, subtotal, coupons, eligible = eligibility(lines, promotions, ctx)
    rules = promotions.rules
    applicable = [r for r in sorted(eligible) if not rules[r].is_points]
    ev = Evaluator(prepared, rules, eligible, ctx.rounding)
    bounds = Bounds(ev)
    order = apply_order(rules, effective(bounds, applicable))
    work = resolve(ev, order, bounds)

    explain = Explainer(rules)
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


class Eligibility(NamedTuple):
    """The basket prepared for pricing, and which rules may apply to which of its lines."""

    prepared: list[PreparedLine]
    subtotal: int
    coupons: CouponCheck
    eligible: dict[int, tuple[int, ...]]  # rule rank -> the lines it may apply to


def eligibility(
    lines: Sequence[BasketLine], promotions: PromotionSet, ctx: PricingContext
) -> Eligibility:
    """The first stage of `price_basket`: lines prepared, coupons checked, eligibility."""
    prepared = prepare(lines, ctx)
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
    return Eligibility(
        prepared, subtotal, coupons, eligible_lines(prepared, promotions, ctx, wall, coupons)
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


def _multipliers(
    eligible: dict[int, tuple[int, ...]], rules: Sequence[Rule], work: Work
) -> tuple[dict[int, Fraction], set[int]]:
    """Per line, the highest-ranked points rule's multiplier; and the rules that count."""
    chosen: dict[int, int] = {}
    for rank in sorted(eligible):  # by rank: the first rule to reach a line decides it
        if rules[rank].is_points:
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
        alone = ev.total([rank]) if rank in ev.eligible and not rule.is_points else None
        if alone is not None and alone < sum(ev.bases):
            reason = CouponRejectReason.NOT_COMBINABLE
        elif rule.kind is Kind.THRESHOLD and rank in ev.eligible:
            reason = CouponRejectReason.BELOW_MIN_SPEND
        else:
            reason = CouponRejectReason.NOT_APPLICABLE
        rejected.append(CouponRejection(code, reason, rule.rule_id))
    return applied, rejected
