"""Properties of pricing that must hold for any basket and any set of promotions."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.promotions_data import synthetic_promotions
from kiosk.domain.catalogue import Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import BasketLine, Member, PricedBasket, load_promotions, price_basket
from kiosk.domain.pricing.allocation import allocate, round_ratio

from .pricing_support import ctx, item, random_promotions, random_rule

ITEMS = [
    item("cola", 350, department="drinks"),
    item("juice", 990, department="drinks", member_price=890),
    item("milk", 650, department="dairy", tax_class="reduced"),
    item("cheese", 2_345, department="dairy"),
    item("apple", 1_290, department="fruit", unit=Unit.KG, tax_class="zero"),
]
ITEM_IDS = [i.item_id for i in ITEMS if i.unit is Unit.EACH]
DEPARTMENTS = ["drinks", "dairy", "fruit"]
SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def baskets(draw: st.DrawFn) -> list[BasketLine]:
    lines = []
    for k in range(draw(st.integers(0, 4))):
        it = draw(st.sampled_from(ITEMS))
        if it.unit is Unit.KG:
            lines.append(BasketLine(f"l{k}", it, 1, draw(st.integers(1, 3_000)), None))
        else:
            lines.append(BasketLine(f"l{k}", it, draw(st.integers(1, 5))))
    return lines


@st.composite
def contexts(draw: st.DrawFn) -> Any:
    return ctx(
        rounding=draw(st.sampled_from(Rounding)),
        inclusive=draw(st.booleans()),
        member=Member("m") if draw(st.booleans()) else None,
    )


rule_lists = st.lists(st.integers(0, 2**32), max_size=3).map(
    lambda seeds: [
        random_rule(random.Random(seed), f"r{k}", ITEM_IDS, DEPARTMENTS)
        for k, seed in enumerate(seeds)
    ]
)


def priced(lines: list[BasketLine], rules: list[dict[str, Any]], context: Any) -> PricedBasket:
    doc = {"version": 1, "currency": "CNY", "promotions": rules}
    return price_basket(lines, load_promotions(json.dumps(doc), "prop"), context)


def best_total(lines: list[BasketLine], rules: list[dict[str, Any]], context: Any) -> int:
    """What the search minimises: the total before any tax added on top (docs)."""
    basket = priced(lines, rules, context)
    return basket.subtotal_minor - basket.savings_minor


@SETTINGS
@given(baskets(), rule_lists, contexts())
def test_amounts_are_consistent_and_never_negative(
    lines: list[BasketLine], rules: list[dict[str, Any]], context: Any
) -> None:
    basket = priced(lines, rules, context)
    assert basket.total_minor >= 0
    for ln in basket.lines:
        taken = sum(d.amount_minor for d in (*ln.discounts, *ln.basket_shares))
        assert all(d.amount_minor > 0 for d in (*ln.discounts, *ln.basket_shares))
        assert 0 <= ln.net_minor <= ln.base_minor
        assert taken == ln.base_minor - ln.net_minor
    nets = sum(ln.net_minor for ln in basket.lines)
    assert basket.subtotal_minor == sum(ln.base_minor for ln in basket.lines)
    assert nets == basket.subtotal_minor - basket.savings_minor
    assert basket.total_minor == nets + (0 if context.tax_inclusive else basket.tax_minor)
    assert sum(t.gross_minor for t in basket.taxes) == basket.total_minor
    assert sum(t.net_minor + t.tax_minor for t in basket.taxes) == basket.total_minor
    for shown in basket.basket_discounts:
        shares = [d for ln in basket.lines for d in ln.basket_shares if d.rule_id == shown.rule_id]
        assert sum(d.amount_minor for d in shares) == shown.amount_minor


@SETTINGS
@given(baskets(), rule_lists, contexts(), st.randoms(use_true_random=False))
def test_the_order_of_lines_changes_nothing(
    lines: list[BasketLine], rules: list[dict[str, Any]], context: Any, rng: random.Random
) -> None:
    shuffled = list(lines)
    rng.shuffle(shuffled)
    first, second = priced(lines, rules, context), priced(shuffled, rules, context)
    assert first.total_minor == second.total_minor
    assert {ln.line_id: ln.net_minor for ln in first.lines} == {
        ln.line_id: ln.net_minor for ln in second.lines
    }


@SETTINGS
@given(baskets(), rule_lists, contexts())
def test_best_price_is_never_worse_than_any_single_rule_alone(
    lines: list[BasketLine], rules: list[dict[str, Any]], context: Any
) -> None:
    best = best_total(lines, rules, context)
    for rule in rules:
        assert best <= best_total(lines, [rule], context)


@SETTINGS
@given(baskets(), rule_lists, st.integers(0, 2**32), contexts())
def test_adding_a_promotion_never_raises_the_best_price(
    lines: list[BasketLine], rules: list[dict[str, Any]], seed: int, context: Any
) -> None:
    extra = random_rule(random.Random(seed), "extra", ITEM_IDS, DEPARTMENTS)
    assert best_total(lines, [*rules, extra], context) <= best_total(lines, rules, context)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6), st.sampled_from(Rounding))
def test_integer_rounding_matches_the_money_rounding(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    assert round_ratio(numerator, denominator, rounding) == rounding.apply(
        Fraction(numerator, denominator)
    )


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=8), st.data())
def test_allocation_sums_exactly_and_never_exceeds_a_weight(
    weights: list[int], data: st.DataObject
) -> None:
    amount = data.draw(st.integers(0, sum(weights)))
    keys = [f"k{i}" for i in range(len(weights))]
    shares = allocate(amount, weights, keys)
    assert sum(shares) == amount
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))
    reversed_shares = allocate(amount, weights[::-1], keys[::-1])
    assert shares == reversed_shares[::-1]  # ties break by key, not by position


def test_synthetic_promotions_are_valid_deterministic_and_of_the_size_asked() -> None:
    ids = [f"SKU{i:05d}" for i in range(300)]
    text = synthetic_promotions(1_000, ids, ["dairy", "drinks", "fruit"], seed=5)
    assert text == synthetic_promotions(1_000, ids, ["dairy", "drinks", "fruit"], seed=5)
    promotions = load_promotions(text, "synthetic")
    assert len(promotions) == 1_000
    assert len({r.kind for r in promotions.rules}) == 7
    basket = [BasketLine(f"l{i}", item(ids[i], 100 + i, department="dairy"), 2) for i in range(60)]
    priced_basket = price_basket(basket, promotions, ctx(member=Member("m")))
    assert 0 <= priced_basket.total_minor <= priced_basket.subtotal_minor


def test_random_promotion_helper_makes_loadable_sets() -> None:
    rules = random_promotions(200, ITEM_IDS, DEPARTMENTS, seed=3)
    promotions = load_promotions(
        json.dumps({"version": 1, "currency": "CNY", "promotions": rules}), "random"
    )
    assert len(promotions) == 200
    lines = [BasketLine(f"l{k}", it, 3) for k, it in enumerate(ITEMS) if it.unit is Unit.EACH]
    assert price_basket(lines, promotions, ctx()).total_minor >= 0
