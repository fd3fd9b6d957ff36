"""Pricing does work in proportion to the rule-on-line pairs a basket has, not lines × rules.

A regression guard that counts work instead of timing it (speed itself is measured by
`python -m bench.checkout`): with 1,000 promotions and a 200-line basket, the engine
must look only at the rules its indexes name for each item, compute each bound once,
evaluate the whole basket about once plus the bounded search, and reprice a basket
without re-deriving each item's candidate rules.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from bench.promotions_data import synthetic_promotions
from kiosk.domain.catalogue import Item
from kiosk.domain.pricing import BasketLine, Member, PromotionSet, load_promotions, price_basket
from kiosk.domain.pricing.apply import Evaluator
from kiosk.domain.pricing.components import MAX_SEARCH_WORK
from kiosk.domain.pricing.conflicts import Bounds
from kiosk.domain.pricing.rules import Rule

from .pricing_support import ctx, item

DEPARTMENTS = ("dairy", "bakery", "grocery", "snacks", "drinks", "frozen", "household", "care")
RANGE = [
    item(f"SKU{k:05d}", 150 + (k * 7919) % 19_850, department=DEPARTMENTS[k % len(DEPARTMENTS)])
    for k in range(2_000)
]
BASKET = [BasketLine(f"l{k:03d}", RANGE[k * 9], 1 + k % 3) for k in range(200)]


class Meter:
    """Counts work units while pricing: wraps the engine's evaluation entry points."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.units: Counter[str] = Counter()
        self._wrap(monkeypatch, Evaluator, "line_stages", self._line_stages)
        self._wrap(monkeypatch, Evaluator, "basket_stage", self._basket_stage)
        self._wrap(monkeypatch, Bounds, "offs", self._offs)
        self._wrap(monkeypatch, Rule, "covers", self._covers)

    def _wrap(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: type,
        name: str,
        count: Callable[..., None],
    ) -> None:
        original = getattr(owner, name)

        def counted(this: Any, *args: Any) -> Any:
            count(this, *args)
            return original(this, *args)

        monkeypatch.setattr(owner, name, counted)

    def _line_stages(self, ev: Evaluator, selection: Sequence[int], _w: object) -> None:
        # Every line-level rule of the selection is applied to each of its lines.
        self.units["line"] += sum(
            len(ev.eligible[r]) for r in selection if r in ev.eligible and ev.rules[r].line_level
        )

    def _basket_stage(self, ev: Evaluator, ranks: Sequence[int], _w: object) -> None:
        self.units["basket"] += sum(len(ev.eligible[r]) for r in ranks if r in ev.eligible)

    def _offs(self, bounds: Bounds, rank: int) -> None:
        if rank not in bounds._offs:
            self.units["bounds"] += len(bounds.ev.eligible[rank])

    def _covers(self, _rule: Rule, _item: Item) -> None:
        self.units["scope_checks"] += 1


@pytest.fixture
def meter(monkeypatch: pytest.MonkeyPatch) -> Meter:
    return Meter(monkeypatch)  # monkeypatch undoes the wrapping after the test


def promotions_over(items: Sequence[Item]) -> PromotionSet:
    ids = [it.item_id for it in items]
    return load_promotions(synthetic_promotions(1_000, ids, DEPARTMENTS, seed=5), "work")


def named_candidates(promotions: PromotionSet, lines: Sequence[BasketLine]) -> int:
    """What the indexes name for the basket's items: the most scope checks the design
    allows when no item has been seen before."""
    total = 0
    for it in {line.item.item_id: line.item for line in lines}.values():
        total += len(promotions.by_item.get(it.item_id, ()))
        total += len(promotions.by_department.get(it.department, ()))
        total += sum(len(promotions.by_tag.get(tag, ())) for tag in it.tags)
        total += len(promotions.unscoped)
    return total


def rule_line_pairs(promotions: PromotionSet, lines: Sequence[BasketLine]) -> int:
    """Rule-on-line pairs of the basket: rules that cover a line's item, whatever
    their conditions (an upper bound of what pricing can find eligible)."""
    return sum(len(promotions.item_ranks(line.item)) for line in lines)


@pytest.mark.parametrize(
    "promoted",
    [
        pytest.param(RANGE, id="1000-promotions-over-2000-items"),
        # Every deal on the basket's own items: several deals per item, the worst case.
        pytest.param([line.item for line in BASKET], id="1000-promotions-over-the-basket"),
    ],
)
def test_pricing_200_lines_with_1000_promotions_does_work_linear_in_rule_line_pairs(
    promoted: list[Item], meter: Meter
) -> None:
    promotions = promotions_over(promoted)
    lines_x_rules = len(BASKET) * len(promotions)
    basket = price_basket(BASKET, promotions, ctx(member=Member("m")))
    assert basket.savings_minor > 0  # the deals do apply: the work below is real

    pairs = rule_line_pairs(promotions, BASKET)
    assert meter.units["scope_checks"] <= named_candidates(promotions, BASKET)
    assert meter.units["bounds"] <= pairs  # each rule's bound on each of its lines, once
    # The whole basket about once, a few changed parts again, and the bounded search.
    assert meter.units["line"] <= 4 * pairs + 2 * MAX_SEARCH_WORK
    assert meter.units["basket"] <= 10 * pairs
    total = sum(meter.units.values())
    assert total <= 16 * pairs + 2 * MAX_SEARCH_WORK
    assert total < lines_x_rules // 5  # far from trying every rule on every line


def test_repricing_a_basket_does_not_derive_its_items_candidates_again(meter: Meter) -> None:
    promotions = promotions_over(RANGE)
    rng = random.Random(1)
    basket: list[BasketLine] = []
    first_scan_checks = 0
    for k in range(30):  # a shopper scanning: the basket is repriced after every scan
        basket.append(BasketLine(f"s{k}", rng.choice(RANGE), 1))
        price_basket(basket, promotions, ctx())
        if k == 0:
            first_scan_checks = meter.units["scope_checks"]
    # Each distinct item's candidates are derived once, not once per line per scan.
    assert meter.units["scope_checks"] <= named_candidates(promotions, basket)
    assert meter.units["scope_checks"] < 30 * first_scan_checks
