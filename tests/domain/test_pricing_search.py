"""The engine's shortcuts give what the straightforward computation gives.

Pricing avoids work where it can prove the result unchanged: totals without sharing
basket discounts out over lines, a pruned walk over combinations, candidate rules worked
out once per item, explained objects built through their slots. Each test here holds one
shortcut equal to the plain way of computing the same thing, on random baskets.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
from dataclasses import fields
from datetime import datetime
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.promotions_data import synthetic_promotions
from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import (
    BasketLine,
    Discount,
    Member,
    PricedLine,
    PricingContext,
    PromotionSet,
    load_promotions,
    price_basket,
)
from kiosk.domain.pricing.apply import Evaluator
from kiosk.domain.pricing.components import Budget, Resolver
from kiosk.domain.pricing.conflicts import Bounds, apply_order, decisions, effective
from kiosk.domain.pricing.coupons import check_coupons, member_qualifies
from kiosk.domain.pricing.engine import eligibility
from kiosk.domain.pricing.explain import make_discount, make_line
from kiosk.domain.pricing.lines import PreparedLine
from kiosk.domain.pricing.model import TaxLine
from kiosk.domain.pricing.tax import tax_breakdown

from .pricing_support import ctx, item, random_rule

ITEMS = [
    item("cola", 350, department="drinks", tags=("fizzy",)),
    item("juice", 990, department="drinks", member_price=890),
    item("milk", 650, department="dairy", tax_class="reduced"),
    item("cheese", 2_345, department="dairy", member_price=1_999),
    item("yogurt", 480, department="dairy", tags=("fizzy",)),
    item("apple", 1_290, department="fruit", unit=Unit.KG, tax_class="zero"),
]
ITEM_IDS = [i.item_id for i in ITEMS if i.unit is Unit.EACH]
DEPARTMENTS = ["drinks", "dairy", "fruit"]
SETTINGS = settings(max_examples=120, deadline=None)


def random_basket(rng: random.Random, size: int) -> list[BasketLine]:
    lines = []
    for k in range(size):
        it = rng.choice(ITEMS)
        if it.unit is Unit.KG:
            lines.append(BasketLine(f"l{k:02d}", it, 1, rng.randint(100, 2_000), None))
        elif rng.random() < 0.1:
            lines.append(BasketLine(f"l{k:02d}", it, 1, None, rng.randint(50, 900)))
        else:
            lines.append(BasketLine(f"l{k:02d}", it, rng.randint(1, 5)))
    return lines


def random_set(rng: random.Random, n: int) -> PromotionSet:
    rules = [random_rule(rng, f"r{k}", ITEM_IDS, DEPARTMENTS) for k in range(n)]
    doc = {"version": 1, "currency": "CNY", "promotions": rules}
    return load_promotions(json.dumps(doc), "search")


def evaluation(
    lines: list[BasketLine], promotions: PromotionSet, context: PricingContext
) -> tuple[Evaluator, Bounds, list[int]]:
    """The evaluator, bounds and application order `price_basket` works with."""
    prepared, _subtotal, _coupons, eligible = eligibility(lines, promotions, context)
    rules = promotions.rules
    ev = Evaluator(prepared, rules, eligible, context.rounding)
    bounds = Bounds(ev)
    applicable = [r for r in sorted(eligible) if not rules[r].is_points]
    return ev, bounds, apply_order(rules, effective(bounds, applicable))


seeds = st.integers(0, 2**32)


@SETTINGS
@given(seeds, st.integers(1, 12), st.integers(1, 14), st.sampled_from(Rounding))
def test_totals_without_sharing_out_basket_discounts_equal_the_shared_out_run(
    seed: int, n_lines: int, n_rules: int, rounding: Rounding
) -> None:
    rng = random.Random(seed)
    lines, promotions = random_basket(rng, n_lines), random_set(rng, n_rules)
    context = ctx(rounding=rounding, member=Member("m"))
    ev, _bounds, order = evaluation(lines, promotions, context)
    selections = [order, *([rank] for rank in order)]
    selections += [[r for r in order if rng.random() < 0.5] for _ in range(5)]
    for selection in selections:
        shortcut = ev.restricted(ev.eligible).total(selection)  # no run memoised yet
        assert shortcut == ev.restricted(ev.eligible).run(selection).total()


@SETTINGS
@given(seeds, st.integers(2, 10), st.integers(2, 12))
def test_the_exhaustive_search_finds_the_lowest_total_of_all_combinations(
    seed: int, n_lines: int, n_rules: int
) -> None:
    rng = random.Random(seed)
    lines, promotions = random_basket(rng, n_lines), random_set(rng, n_rules)
    ev, bounds, order = evaluation(lines, promotions, ctx())
    decided = decisions(ev, bounds, order).all()
    resolver = Resolver(ev, order, decided, Budget(10**9))
    if not decided or not resolver.exact():
        return
    found = resolver.best().run(order).total()
    # Every combination of the units, evaluated from scratch.
    units = resolver.units
    lowest = None
    for on in itertools.product([False, True], repeat=len(units)):
        kept = {u for u, flag in zip(units, on, strict=True) if flag}
        eligible = {
            r: tuple(i for i in lines_ if r not in decided or (r, resolver.keys[r, i]) in kept)
            for r, lines_ in ev.eligible.items()
        }
        total = ev.restricted({r: v for r, v in eligible.items() if v}).run(order).total()
        lowest = total if lowest is None else min(lowest, total)
    assert found == lowest


@SETTINGS
@given(seeds, st.integers(2, 10), st.integers(2, 12))
def test_a_search_without_budget_keeps_every_decision_on(
    seed: int, n_lines: int, n_rules: int
) -> None:
    # What `_search` relies on to skip building a resolver once the budget is spent.
    rng = random.Random(seed)
    lines, promotions = random_basket(rng, n_lines), random_set(rng, n_rules)
    ev, bounds, order = evaluation(lines, promotions, ctx())
    core = decisions(ev, bounds, order).core
    if not core:
        return
    for left in (0, -1, -500):
        chosen = Resolver(ev, order, core, Budget(left)).best()
        assert chosen.eligible == ev.eligible
        assert chosen.run(order).net == ev.run(order).net


def reference_eligible(
    lines: list[PreparedLine], promotions: PromotionSet, context: PricingContext
) -> dict[int, tuple[int, ...]]:
    """docs/promotions.md step 2 read literally: every rule, every line."""
    wall = context.now.replace(tzinfo=None)
    unlocked = check_coupons(
        context.coupons,
        redeemed=context.redeemed_coupons,
        promotions=promotions,
        wall=wall,
        member=context.member,
        subtotal=sum(p.base for p in lines),
    ).unlocked
    out: dict[int, tuple[int, ...]] = {}
    for rank, rule in enumerate(promotions.rules):
        if rule.coupon_codes and rank not in unlocked:
            continue
        if not (rule.window.contains(wall) and member_qualifies(rule, context.member)):
            continue
        found = []
        for line in lines:
            if not rule.covers(line.item):
                continue
            if rule.is_price:
                if line.label_priced:
                    continue
                price = line.item.member_price_minor
                if rule.member_price and (price is None or price >= line.unit_price):
                    continue
            if rule.is_group and not line.countable:
                continue
            found.append(line.index)
        if found:
            out[rank] = tuple(found)
    return out


@SETTINGS
@given(seeds, st.integers(1, 14), st.integers(1, 30), st.booleans())
def test_candidate_rules_worked_out_per_item_are_those_of_each_line(
    seed: int, n_lines: int, n_rules: int, member: bool
) -> None:
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for k in range(n_rules):
        rule = random_rule(rng, f"r{k}", ITEM_IDS, DEPARTMENTS)
        if rng.random() < 0.2:
            rule["members_only"] = True
        if rng.random() < 0.2:
            rule["days"] = ["wed"]  # ctx() is a Wednesday; the other day below is not
        if rng.random() < 0.1:
            rule["coupon"] = {"codes": [f"C{k}"]}
        rules.append(rule)
    promotions = load_promotions(
        json.dumps({"version": 1, "currency": "CNY", "promotions": rules}), "eligible"
    )
    basket = random_basket(rng, n_lines)
    # The same item as another line's, with a new shelf or member price (a catalogue
    # update in the middle of a basket): its lines fit the price rules their own way.
    for k in range(len(basket)):
        old = basket[k].item
        if old.unit is Unit.EACH and rng.random() < 0.3:
            new = Item(
                **{f.name: getattr(old, f.name) for f in fields(Item)}
                | {
                    "price_minor": old.price_minor + rng.choice([-100, 0, 500]),
                    "member_price_minor": rng.choice([None, old.price_minor - 50]),
                }
            )
            basket.append(BasketLine(f"m{k:02d}", new, 2))
    when = rng.choice([datetime(2026, 11, 25, 10, 30), datetime(2026, 11, 26, 10, 30)])
    context = ctx(
        now=when,
        member=Member("m") if member else None,
        coupons=tuple(f"C{k}" for k in range(n_rules) if rng.random() < 0.5),
    )
    prepared, _subtotal, _coupons, found = eligibility(basket, promotions, context)
    assert found == reference_eligible(prepared, promotions, context)


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 10**7)), max_size=8),
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.fractions(min_value=0, max_value=1, max_denominator=10_000),
        min_size=3,
    ),
    st.booleans(),
    st.sampled_from(Rounding),
)
def test_tax_rows_round_the_exact_fractions(
    nets: list[tuple[str, int]], rates: dict[str, Fraction], inclusive: bool, rounding: Rounding
) -> None:
    lines = [
        PricedLine(f"l{k}", "x", 1, None, net, net, (), (), net, tax_class)
        for k, (tax_class, net) in enumerate(nets)
    ]
    rows = tax_breakdown(lines, rates, inclusive=inclusive, rounding=rounding)
    for row in rows:
        amount = sum(n for c, n in nets if c in row.tax_classes)
        exact = amount * row.rate / (1 + row.rate) if inclusive else amount * row.rate
        tax = rounding.apply(exact)
        gross, net = (amount, amount - tax) if inclusive else (amount + tax, amount)
        assert row == TaxLine(row.rate, row.tax_classes, net, tax, gross)


def test_explained_objects_built_through_their_slots_equal_the_constructed_ones() -> None:
    label = {"zh_CN": "满100减10", "en": "10 off 100"}
    fast, plain = make_discount("r", dict(label), 120), Discount("r", dict(label), 120)
    assert type(fast) is Discount
    assert fast == plain
    assert [getattr(fast, f.name) for f in fields(Discount)] == ["r", label, 120]
    args: tuple[Any, ...] = ("l1", "cola", 2, None, 350, 700, (plain,), (), 580, "standard")
    line = make_line(*args)
    assert type(line) is PricedLine
    assert line == PricedLine(*args)
    assert line.discount_minor == 120


def synthetic_basket() -> tuple[list[BasketLine], PromotionSet]:
    departments = ["dairy", "drinks", "snacks"]
    items = [
        item(f"S{k:03d}", 100 + (k * 7919) % 3_000, department=departments[k % 3])
        for k in range(60)
    ]
    text = synthetic_promotions(300, [i.item_id for i in items], departments, seed=5)
    lines = [BasketLine(f"l{k:02d}", items[k % 60], 1 + k % 3) for k in range(40)]
    return lines, load_promotions(text, "synthetic")


def test_pricing_leaves_no_garbage_for_the_collector() -> None:
    # Reference cycles would keep each basket's evaluations alive until a collection,
    # and make every collection (a pause in the middle of a scan) longer.
    lines, promotions = synthetic_basket()
    context = ctx(member=Member("m"))
    price_basket(lines, promotions, context)  # item plans memoised
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        basket = price_basket(lines, promotions, context)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
    assert basket.savings_minor > 0  # the search did run


def test_memoised_item_plans_are_left_out_of_garbage_collections() -> None:
    lines, promotions = synthetic_basket()
    price_basket(lines, promotions, ctx())
    # A collection stops tracking a tuple once everything in it is untracked, one level
    # of nesting per collection (inner tuples may be examined after the outer ones), so
    # how many are needed depends on how many ran during pricing (the kiosk's young-
    # generation threshold). A plan holding anything the collector must track (a dict,
    # an object) would stay tracked however many ran.
    for _ in range(5):
        gc.collect()
    plans = [promotions.item_plan(line.item) for line in lines]
    assert not any(gc.is_tracked(plan) for plan in plans)
