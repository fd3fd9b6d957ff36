"""One worked example per rule kind, in yuan and in euro, with the explanation on lines."""

from __future__ import annotations

import pytest

from kiosk.domain.catalogue import Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import MEMBER_PRICE_ID, Member

from .pricing_support import ctx, discounts_of, item, line, price, promos

COLA = item("cola", 350, department="drinks")
WATER = item("water", 200, department="drinks")
MILK = item("milk", 650, department="dairy")
EU_BREAD = item("brot", 249, currency="EUR", department="bakery", tax_class="reduced")


def test_three_for_two_gives_the_third_piece_free_and_explains_it() -> None:
    rule = {"id": "cola-3for2", "kind": "multi_buy", "scope": {"items": ["cola"]}}
    rules = promos({**rule, "quantity": 3, "free": 1, "label": {"zh_CN": "买二送一"}})
    basket = price([line("l1", COLA, 3)], rules)
    priced = basket.line("l1")
    assert priced.base_minor == 1050
    assert priced.net_minor == 700
    assert [(d.rule_id, d.label, d.amount_minor) for d in priced.discounts] == [
        ("cola-3for2", {"zh_CN": "买二送一"}, 350)
    ]
    assert basket.total_minor == 700
    assert basket.savings_minor == 350


def test_multi_buy_repeats_and_pools_pieces_scanned_on_separate_lines_in_euro() -> None:
    rules = promos(
        {
            "id": "3for2",
            "kind": "multi_buy",
            "scope": {"items": ["brot"]},
            "quantity": 3,
            "free": 1,
        },
        currency="EUR",
    )
    basket = price([line("a", EU_BREAD, 4), line("b", EU_BREAD, 3)], rules, ctx(currency="EUR"))
    assert basket.savings_minor == 2 * 249  # seven loaves: two groups of three
    assert basket.total_minor == 5 * 249


def test_multi_buy_counts_each_item_apart_while_mix_and_match_pools_them() -> None:
    scope = {"departments": ["drinks"]}
    lines = [line("l1", COLA, 2), line("l2", WATER, 1)]
    per_item = promos({"id": "mb", "kind": "multi_buy", "scope": scope, "quantity": 3, "free": 1})
    pooled = promos({"id": "mm", "kind": "mix_match", "scope": scope, "quantity": 3, "free": 1})
    assert price(lines, per_item).savings_minor == 0
    assert discounts_of(price(lines, pooled), "l2") == {"mm": 200}  # the cheapest piece


def test_n_for_a_fixed_price_allocates_the_saving_over_the_group() -> None:
    rules = promos(
        {
            "id": "2for10",
            "kind": "multi_buy",
            "scope": {"items": ["milk"]},
            "quantity": 2,
            "price_minor": 1000,
        }
    )
    basket = price([line("l1", MILK, 1), line("l2", MILK, 2)], rules)
    assert basket.total_minor == 1000 + 650  # one pair at ¥10, the third at shelf price
    assert discounts_of(basket, "l1") == {"2for10": 150}
    assert discounts_of(basket, "l2") == {"2for10": 150}


def test_buy_n_get_m_free_stops_at_max_applications() -> None:
    rules = promos(
        {
            "id": "b2g1",
            "kind": "multi_buy",
            "scope": {"items": ["water"]},
            "quantity": 3,
            "free": 1,
            "max_applications": 2,
        }
    )
    assert price([line("l1", WATER, 10)], rules).savings_minor == 2 * 200


def test_mix_and_match_any_three_for_a_price_splits_the_saving_by_largest_remainder() -> None:
    yogurts = [item(f"y{p}", p, tags=("yogurt",)) for p in (500, 600, 700)]
    rules = promos(
        {
            "id": "any3",
            "kind": "mix_match",
            "scope": {"tags": ["yogurt"]},
            "quantity": 3,
            "price_minor": 1500,
        }
    )
    basket = price([line(f"l{k}", y) for k, y in enumerate(yogurts)], rules)
    shares = [basket.line(f"l{k}").discounts[0].amount_minor for k in range(3)]
    assert shares == [83, 100, 117]  # 300 × 5/18, 6/18, 7/18: the .67 remainder wins the unit
    assert basket.total_minor == 1500


def test_mix_and_match_never_prices_a_group_above_its_shelf_price() -> None:
    rules = promos(
        {
            "id": "any2",
            "kind": "mix_match",
            "scope": {"departments": ["drinks"]},
            "quantity": 2,
            "price_minor": 600,
        }
    )
    assert price([line("l1", WATER, 2)], rules).savings_minor == 0


@pytest.mark.parametrize(
    ("spend", "off"),
    [(9_999, 0), (10_000, 1_000), (19_999, 1_000), (20_000, 3_000), (45_000, 3_000)],
)
def test_tiered_threshold_gives_the_highest_tier_reached(spend: int, off: int) -> None:
    rules = promos(
        {
            "id": "man",
            "kind": "threshold",
            "label": {"zh_CN": "满100减10，满200减30"},
            "tiers": [
                {"spend_minor": 10_000, "off_minor": 1_000},
                {"spend_minor": 20_000, "off_minor": 3_000},
            ],
        }
    )
    basket = price([line("l1", item("tv", spend))], rules)
    assert basket.savings_minor == off
    assert [d.amount_minor for d in basket.basket_discounts] == ([off] if off else [])


def test_threshold_is_shared_over_its_lines_and_shown_once_for_the_basket() -> None:
    rules = promos(
        {"id": "man", "kind": "threshold", "tiers": [{"spend_minor": 1_000, "off_minor": 100}]}
    )
    basket = price([line("l1", COLA, 1), line("l2", MILK, 1)], rules)
    assert [(d.rule_id, d.amount_minor) for d in basket.basket_discounts] == [("man", 100)]
    shares = {lid: basket.line(lid).basket_shares[0].amount_minor for lid in ("l1", "l2")}
    assert shares == {"l1": 35, "l2": 65}  # 100 × 350/1000 and 100 × 650/1000
    assert basket.line("l1").discounts == ()


def test_repeating_threshold_counts_every_full_step_up_to_its_limit() -> None:
    rule = {
        "id": "every100",
        "kind": "threshold",
        "tiers": [{"spend_minor": 10_000, "off_minor": 1_000}],
    }
    assert (
        price([line("l1", item("tv", 35_000))], promos({**rule, "repeat": True})).savings_minor
        == 3_000
    )
    limited = promos({**rule, "repeat": True, "max_applications": 2})
    assert price([line("l1", item("tv", 35_000))], limited).savings_minor == 2_000


def test_scoped_threshold_counts_and_discounts_only_its_departments_in_euro() -> None:
    wine = item("wein", 4_500, currency="EUR", department="wine")
    rules = promos(
        {
            "id": "wine5",
            "kind": "threshold",
            "label": {"de": "5 € Rabatt ab 50 € Wein"},
            "scope": {"departments": ["wine"]},
            "tiers": [{"spend_minor": 5_000, "off_minor": 500}],
        },
        currency="EUR",
    )
    euro = ctx(currency="EUR")
    assert price([line("w", wine), line("b", EU_BREAD, 3)], rules, euro).savings_minor == 0
    basket = price([line("w", wine, 2), line("b", EU_BREAD, 3)], rules, euro)
    assert discounts_of(basket, "w") == {"wine5": 500}
    assert discounts_of(basket, "b") == {}


def test_percent_off_items_rounds_each_line_once() -> None:
    rules = promos(
        {"id": "dairy10", "kind": "percent_off", "scope": {"departments": ["dairy"]}, "percent": 10}
    )
    cheese = item("cheese", 1_005, department="dairy")
    basket = price([line("l1", cheese), line("l2", COLA)], rules)
    assert discounts_of(basket, "l1") == {"dairy10": 101}  # 100.5 rounds half-up
    assert discounts_of(basket, "l2") == {}
    bankers = price([line("l1", cheese)], rules, ctx(rounding=Rounding.HALF_EVEN))
    assert bankers.savings_minor == 100  # 100.5 rounds to even


def test_percent_off_the_basket_rounds_once_and_allocates_back() -> None:
    per_item = promos({"id": "p", "kind": "percent_off", "percent": 10})
    per_basket = promos({"id": "p", "kind": "percent_off", "percent": 10, "per": "basket"})
    lines = [line("l1", item("a", 105)), line("l2", item("b", 105))]
    assert price(lines, per_item).savings_minor == 22  # 10.5 + 10.5, each rounded up
    basket = price(lines, per_basket)
    assert basket.savings_minor == 21  # 21.0 exactly, rounded once
    assert sorted(discounts_of(basket, lid)["p"] for lid in ("l1", "l2")) == [10, 11]


def test_percent_may_be_fractional_and_applies_in_euro() -> None:
    rules = promos(
        {"id": "p", "kind": "percent_off", "scope": {"items": ["brot"]}, "percent": "12.5"},
        currency="EUR",
    )
    basket = price([line("l1", EU_BREAD, 4)], rules, ctx(currency="EUR"))
    assert basket.savings_minor == 125  # 12.5 % of 996 = 124.5 → 125 half-up


def test_amount_off_each_piece_and_off_the_basket() -> None:
    each = promos(
        {"id": "y1", "kind": "amount_off", "scope": {"items": ["cola"]}, "amount_minor": 100}
    )
    assert price([line("l1", COLA, 3)], each).savings_minor == 300
    basket_rule = promos({"id": "y5", "kind": "amount_off", "amount_minor": 500, "per": "basket"})
    basket = price([line("l1", COLA, 1), line("l2", MILK, 1)], basket_rule)
    assert basket.savings_minor == 500
    assert [d.rule_id for d in basket.basket_discounts] == ["y5"]


def test_amount_off_never_takes_a_line_below_zero() -> None:
    rules = promos(
        {"id": "big", "kind": "amount_off", "scope": {"items": ["water"]}, "amount_minor": 5_000}
    )
    basket = price([line("l1", WATER, 2)], rules)
    assert basket.line("l1").net_minor == 0
    assert basket.total_minor == 0


def test_special_price_replaces_the_shelf_price_per_piece_and_per_kg() -> None:
    apples = item("apple", 1_290, department="fruit", unit=Unit.KG)
    rules = promos(
        {"id": "sp", "kind": "price", "scope": {"items": ["milk", "apple"]}, "price_minor": 990}
    )
    basket = price([line("m", MILK, 2), line("a", apples, weight_g=1_500)], rules)
    assert discounts_of(basket, "m") == {}  # ¥9.90 is dearer than the shelf price of ¥6.50
    assert basket.line("a").base_minor == 1_935
    assert basket.line("a").net_minor == 1_485  # 1.5 kg at ¥9.90


def test_member_price_from_the_catalogue_needs_a_member() -> None:
    wine = item("wine", 8_800, member_price=7_900)
    assert price([line("l1", wine)], promos()).total_minor == 8_800
    basket = price([line("l1", wine)], promos(), ctx(member=Member("m-1")))
    assert basket.total_minor == 7_900
    (discount,) = basket.line("l1").discounts
    assert discount.rule_id == MEMBER_PRICE_ID
    assert discount.label["zh_CN"] == "会员价"


def test_member_only_rule_can_be_limited_to_tiers() -> None:
    rules = promos(
        {"id": "gold", "kind": "percent_off", "percent": 20, "member_tiers": ["gold"]},
        {"id": "any", "kind": "amount_off", "amount_minor": 50, "members_only": True},
    )
    lines = [line("l1", MILK)]
    assert price(lines, rules).savings_minor == 0
    assert discounts_of(price(lines, rules, ctx(member=Member("m", "silver"))), "l1") == {"any": 50}
    gold = price(lines, rules, ctx(member=Member("m", "gold")))
    # Same priority, so by id: "any" first (650 - 50), then 20 % of the remaining 600.
    assert discounts_of(gold, "l1") == {"any": 50, "gold": 120}


def test_points_are_earned_by_members_on_what_they_pay_with_multipliers() -> None:
    snacks = item("chips", 1_000, department="snacks")
    tobacco = item("cigs", 2_500, department="tobacco")
    rules = promos(
        {"id": "double", "kind": "points", "multiplier": 2, "scope": {"departments": ["snacks"]}},
        {
            "id": "none",
            "kind": "points",
            "multiplier": 0,
            "priority": 9,
            "scope": {"departments": ["tobacco"]},
        },
        {
            "id": "snack10",
            "kind": "percent_off",
            "percent": 10,
            "scope": {"departments": ["snacks"]},
        },
        points={"per_unit": 1},
    )
    lines = [line("s", snacks, 2), line("t", tobacco), line("m", MILK)]
    assert price(lines, rules).points_earned == 0  # no member, no 积分
    basket = price(lines, rules, ctx(member=Member("m-1")))
    # ¥18.00 paid for snacks at 2x, tobacco at 0x, ¥6.50 of milk at 1x: 36 + 6.5 → 42.
    assert basket.points_earned == 42
    assert basket.points_promotions == ("none", "double")  # by rank: priority first


def test_points_rate_may_be_a_fraction_of_a_point_per_euro() -> None:
    rules = promos(points={"per_unit": "0.5"}, currency="EUR")
    basket = price([line("b", EU_BREAD, 3)], rules, ctx(currency="EUR", member=Member("m")))
    assert basket.points_earned == 3  # €7.47 × 0.5 = 3.735, truncated


def test_weighed_items_round_weight_times_price_once_with_the_store_rounding() -> None:
    apples = item("apple", 1_290, department="fruit", unit=Unit.KG)
    half_up = price([line("a", apples, weight_g=250)], promos())
    bankers = price([line("a", apples, weight_g=250)], promos(), ctx(rounding=Rounding.HALF_EVEN))
    assert half_up.line("a").base_minor == 323  # 322.5 away from zero
    assert bankers.line("a").base_minor == 322  # 322.5 to even
    assert half_up.line("a").unit_price_minor == 1_290  # per kg


def test_label_price_is_the_base_and_is_not_repriced_by_special_prices() -> None:
    deli = item("ham", 3_980, department="deli", unit=Unit.KG)
    rules = promos(
        {"id": "sp", "kind": "price", "scope": {"items": ["ham"]}, "price_minor": 100},
        {"id": "deli10", "kind": "percent_off", "scope": {"departments": ["deli"]}, "percent": 10},
    )
    basket = price([line("l1", deli, label_price_minor=1_234)], rules)
    assert basket.line("l1").base_minor == 1_234
    assert discounts_of(basket, "l1") == {"deli10": 123}
