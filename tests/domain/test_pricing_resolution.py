"""When rules apply, how they combine, and which combination the shopper gets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kiosk.domain.catalogue import Unit
from kiosk.domain.pricing import PricingError, PromotionSet, load_promotions

from .pricing_support import NOW, ctx, discounts_of, item, line, price, promos

TV = item("tv", 1_000, department="electronics")
COLA = item("cola", 350, department="drinks")


def ten_percent(**extra: Any) -> PromotionSet:
    return promos({"id": "p10", "kind": "percent_off", "percent": 10, **extra})


@pytest.mark.parametrize(
    ("now", "applies"),
    [
        (datetime(2026, 11, 24, 23, 59), False),
        (datetime(2026, 11, 25, 0, 0), True),
        (datetime(2026, 11, 27, 23, 59), True),
        (datetime(2026, 11, 28, 0, 0), False),  # valid_until is exclusive
    ],
)
def test_valid_from_and_until_bound_a_promotion(now: datetime, applies: bool) -> None:
    rules = ten_percent(valid_from="2026-11-25T00:00", valid_until="2026-11-28T00:00")
    assert price([line("l1", TV)], rules, ctx(now=now)).savings_minor == (100 if applies else 0)


def test_days_of_week_and_daily_hours_limit_a_promotion() -> None:
    rules = ten_percent(days=["wed", "sat"], hours={"from": "08:00", "until": "10:00"})
    wednesday_9 = datetime(2026, 11, 25, 9, 59)
    assert price([line("l1", TV)], rules, ctx(now=wednesday_9)).savings_minor == 100
    assert (
        price([line("l1", TV)], rules, ctx(now=wednesday_9 + timedelta(minutes=1))).savings_minor
        == 0
    )
    thursday_9 = wednesday_9 + timedelta(days=1)
    assert price([line("l1", TV)], rules, ctx(now=thursday_9)).savings_minor == 0


def test_an_aware_now_is_read_as_store_wall_clock_time() -> None:
    rules = ten_percent(hours={"from": "08:00", "until": "10:00"})
    shanghai = timezone(timedelta(hours=8))
    at_nine = datetime(2026, 11, 25, 9, 0, tzinfo=shanghai)
    assert price([line("l1", TV)], rules, ctx(now=at_nine)).savings_minor == 100


def test_line_cap_limits_each_line_and_basket_cap_the_whole_rule() -> None:
    line_cap = ten_percent(percent=50, line_cap_minor=300)
    basket = price([line("l1", TV), line("l2", COLA)], line_cap)
    assert discounts_of(basket, "l1") == {"p10": 300}
    assert discounts_of(basket, "l2") == {"p10": 175}
    basket_cap = ten_percent(percent=50, basket_cap_minor=401)
    capped = price([line("l1", TV), line("l2", COLA)], basket_cap)
    assert capped.savings_minor == 401
    # 401 split in proportion to 500 : 175 → 297.04 and 103.96 → 297 + 104.
    assert discounts_of(capped, "l1") == {"p10": 297}
    assert discounts_of(capped, "l2") == {"p10": 104}


def test_non_exclusive_rules_stack_in_priority_order() -> None:
    rules = [
        {"id": "pct", "kind": "percent_off", "percent": 10},
        {"id": "yuan", "kind": "amount_off", "amount_minor": 100},
    ]
    percent_first = promos({**rules[0], "priority": 5}, rules[1])
    amount_first = promos(rules[0], {**rules[1], "priority": 5})
    assert price([line("l1", TV)], percent_first).total_minor == 800  # 1000 → 900 → 800
    assert price([line("l1", TV)], amount_first).total_minor == 810  # 1000 → 900 → 810


def test_exclusive_rule_wins_the_line_only_when_it_is_cheaper() -> None:
    stack = [
        {"id": "a10", "kind": "percent_off", "percent": 10},
        {"id": "b15", "kind": "percent_off", "percent": 15},
    ]
    deep = promos(*stack, {"id": "x30", "kind": "percent_off", "percent": 30, "exclusive": True})
    basket = price([line("l1", TV)], deep)
    assert discounts_of(basket, "l1") == {"x30": 300}  # 700 beats 1000 → 900 → 765
    shallow = promos(*stack, {"id": "x20", "kind": "percent_off", "percent": 20, "exclusive": True})
    assert discounts_of(price([line("l1", TV)], shallow), "l1") == {"a10": 100, "b15": 135}


def test_exclusive_rule_is_weighed_line_by_line() -> None:
    rules = promos(
        {"id": "x", "kind": "percent_off", "percent": 30, "exclusive": True},
        {"id": "cola", "kind": "price", "scope": {"items": ["cola"]}, "price_minor": 100},
    )
    basket = price([line("l1", TV), line("l2", COLA)], rules)
    assert discounts_of(basket, "l1") == {"x": 300}
    assert discounts_of(basket, "l2") == {"cola": 250}  # ¥1.00 beats 30 % off ¥3.50


def test_equal_offers_go_to_the_higher_priority_rule() -> None:
    rules = promos(
        {"id": "a", "kind": "percent_off", "percent": 10, "exclusive": True, "priority": 1},
        {"id": "b", "kind": "amount_off", "amount_minor": 100, "exclusive": True, "priority": 5},
    )
    assert discounts_of(price([line("l1", TV)], rules), "l1") == {"b": 100}


def test_best_price_picks_the_better_of_two_deals_competing_for_the_same_pieces() -> None:
    rules = promos(
        {
            "id": "3for2",
            "kind": "multi_buy",
            "scope": {"items": ["cola"]},
            "quantity": 3,
            "free": 1,
            "priority": 9,
        },
        {
            "id": "any3",
            "kind": "mix_match",
            "scope": {"departments": ["drinks"]},
            "quantity": 3,
            "price_minor": 500,
        },
    )
    basket = price([line("l1", COLA, 3)], rules)
    assert basket.total_minor == 500  # three for ¥5 beats three for ¥7 despite priority
    assert discounts_of(basket, "l1") == {"any3": 550}


def test_best_price_skips_an_item_discount_that_would_lose_a_threshold_tier() -> None:
    sofa = item("sofa", 10_500, department="furniture")
    rules = promos(
        {"id": "sofa5", "kind": "percent_off", "scope": {"items": ["sofa"]}, "percent": 5},
        {
            "id": "man100",
            "kind": "threshold",
            "tiers": [{"spend_minor": 10_000, "off_minor": 2_000}],
        },
    )
    basket = price([line("l1", sofa)], rules)
    # 5 % off leaves ¥99.75, below the ¥100 tier; ¥105 − ¥20 is cheaper.
    assert basket.total_minor == 8_500
    assert discounts_of(basket, "l1") == {"man100": 2_000}


def test_threshold_counts_the_spend_after_item_discounts() -> None:
    rules = promos(
        {"id": "tv50", "kind": "amount_off", "scope": {"items": ["tv"]}, "amount_minor": 50},
        {"id": "man", "kind": "threshold", "tiers": [{"spend_minor": 1_000, "off_minor": 10}]},
    )
    basket = price([line("l1", TV)], rules)
    assert basket.total_minor == 950  # ¥9.50 after the item discount misses the ¥10 tier
    assert discounts_of(basket, "l1") == {"tv50": 50}


def test_exclusive_basket_rule_is_weighed_against_everything_else() -> None:
    cheap_items = [
        {"id": "tv", "kind": "percent_off", "scope": {"items": ["tv"]}, "percent": 10},
        {"id": "cola", "kind": "amount_off", "scope": {"items": ["cola"]}, "amount_minor": 50},
    ]
    staff = {
        "id": "staff",
        "kind": "percent_off",
        "per": "basket",
        "percent": 20,
        "exclusive": True,
    }
    lines = [line("l1", TV), line("l2", COLA)]
    basket = price(lines, promos(*cheap_items, staff))
    assert [d.rule_id for d in basket.basket_discounts] == ["staff"]
    assert basket.total_minor == 1_080  # 20 % off ¥13.50 beats ¥1.00 + ¥0.50 off
    weak = promos(*cheap_items, {**staff, "percent": 5})
    assert price(lines, weak).total_minor == 1_200


def test_rules_outside_their_scope_or_excluded_do_not_apply() -> None:
    rules = promos(
        {
            "id": "most",
            "kind": "percent_off",
            "percent": 10,
            "scope": {"departments": ["electronics", "drinks"]},
            "exclude": {"items": ["cola"]},
        }
    )
    basket = price([line("l1", TV), line("l2", COLA), line("l3", item("x", 500))], rules)
    assert [sorted(discounts_of(basket, lid)) for lid in ("l1", "l2", "l3")] == [["most"], [], []]


def test_pricing_rejects_baskets_it_cannot_price_with_a_reason() -> None:
    apples = item("apple", 1_290, unit=Unit.KG)
    with pytest.raises(PricingError, match="same line_id"):
        price([line("l1", TV), line("l1", COLA)], promos())
    with pytest.raises(PricingError, match=r"'apple'.*weight_g"):
        price([line("l1", apples)], promos())
    with pytest.raises(PricingError, match="no tax rate for tax class 'luxury'"):
        price([line("l1", item("gold", 1, tax_class="luxury"))], promos())
    with pytest.raises(PricingError, match="priced in EUR"):
        price([line("l1", item("brot", 249, currency="EUR"))], promos())
    with pytest.raises(PricingError, match="promotions from test are in EUR"):
        price([line("l1", TV)], promos(currency="EUR"))
    with pytest.raises(PricingError, match="quantity must be at least 1"):
        price([line("l1", TV, 0)], promos())


def test_an_empty_promotion_file_needs_no_currency_and_prices_at_shelf_price() -> None:
    none = load_promotions('{"version": 1, "promotions": []}', "empty")
    basket = price([line("l1", TV, 2)], none, ctx(now=NOW))
    assert (basket.subtotal_minor, basket.savings_minor, basket.total_minor) == (2_000, 0, 2_000)
    assert len(none) == 0
    assert price([], none).total_minor == 0
