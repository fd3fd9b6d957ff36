"""Coupons: a presented code unlocks its promotion once; refusals carry a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.domain.pricing import CouponRejection, CouponRejectReason, Member, PromotionSet

from .pricing_support import ctx, discounts_of, item, line, price, promos

TV = item("tv", 10_000, department="electronics")
MILK = item("milk", 650, department="dairy")


def coupon_rules(**extra: Any) -> PromotionSet:
    return promos(
        {
            "id": "welcome",
            "kind": "amount_off",
            "per": "basket",
            "amount_minor": 1_000,
            "label": {"zh_CN": "新人券", "en": "Welcome coupon"},
            "coupon": {"codes": ["WELCOME10", "hello-2026"], "min_spend_minor": 5_000},
            **extra,
        },
        {
            "id": "dairy",
            "kind": "percent_off",
            "percent": 50,
            "scope": {"departments": ["dairy"]},
            "coupon": {"codes": ["MILK50"]},
        },
    )


def test_a_valid_coupon_applies_and_codes_match_case_insensitively() -> None:
    basket = price([line("l1", TV)], coupon_rules(), ctx(coupons=(" hello-2026 ",)))
    assert basket.coupons_applied == ("HELLO-2026",)
    assert basket.coupons_rejected == ()
    assert [(d.rule_id, d.amount_minor) for d in basket.basket_discounts] == [("welcome", 1_000)]
    assert basket.total_minor == 9_000


def test_a_coupon_rule_does_nothing_without_its_code() -> None:
    basket = price([line("l1", TV), line("l2", MILK)], coupon_rules())
    assert basket.savings_minor == 0
    assert basket.coupons_applied == ()


def test_unknown_reused_and_duplicate_codes_are_rejected_with_reasons() -> None:
    context = ctx(
        coupons=("NOPE", "WELCOME10", "welcome10", "MILK50"),
        redeemed=frozenset({"milk50"}),
    )
    basket = price([line("l1", TV), line("l2", MILK)], coupon_rules(), context)
    assert basket.coupons_applied == ("WELCOME10",)
    assert basket.coupons_rejected == (
        CouponRejection("NOPE", CouponRejectReason.UNKNOWN, None),
        CouponRejection("WELCOME10", CouponRejectReason.DUPLICATE, "welcome"),
        CouponRejection("MILK50", CouponRejectReason.ALREADY_REDEEMED, "dairy"),
    )
    assert discounts_of(basket, "l2") == {"welcome": 61}  # its share only: MILK50 was used


def test_a_second_code_for_the_same_promotion_is_a_duplicate() -> None:
    basket = price([line("l1", TV)], coupon_rules(), ctx(coupons=("WELCOME10", "HELLO-2026")))
    assert basket.savings_minor == 1_000
    assert basket.coupons_rejected == (
        CouponRejection("HELLO-2026", CouponRejectReason.DUPLICATE, "welcome"),
    )


def test_a_coupon_below_its_minimum_spend_is_rejected() -> None:
    basket = price([line("l1", MILK, 7)], coupon_rules(), ctx(coupons=("WELCOME10",)))
    assert basket.savings_minor == 0
    assert basket.coupons_rejected == (
        CouponRejection("WELCOME10", CouponRejectReason.BELOW_MIN_SPEND, "welcome"),
    )


def test_a_coupon_outside_its_dates_or_for_members_only_is_rejected() -> None:
    expired = coupon_rules(valid_until="2026-01-01T00:00")
    basket = price([line("l1", TV)], expired, ctx(coupons=("WELCOME10",)))
    assert basket.coupons_rejected[0].reason is CouponRejectReason.NOT_ACTIVE
    members = coupon_rules(members_only=True)
    basket = price([line("l1", TV)], members, ctx(coupons=("WELCOME10",)))
    assert basket.coupons_rejected[0].reason is CouponRejectReason.MEMBERS_ONLY
    basket = price([line("l1", TV)], members, ctx(coupons=("WELCOME10",), member=Member("m")))
    assert basket.coupons_applied == ("WELCOME10",)
    future = coupon_rules(valid_from="2027-01-01T00:00")
    at = datetime(2026, 12, 31, 23, 59)
    assert price([line("l1", TV)], future, ctx(now=at, coupons=("WELCOME10",))).savings_minor == 0


def test_a_coupon_for_items_not_in_the_basket_is_not_applicable() -> None:
    basket = price([line("l1", TV)], coupon_rules(), ctx(coupons=("MILK50",)))
    assert basket.coupons_rejected == (
        CouponRejection("MILK50", CouponRejectReason.NOT_APPLICABLE, "dairy"),
    )


def test_an_exclusive_coupon_worse_than_the_running_deals_is_not_combinable() -> None:
    rules = promos(
        {"id": "tv20", "kind": "percent_off", "percent": 20, "scope": {"items": ["tv"]}},
        {
            "id": "vip",
            "kind": "percent_off",
            "percent": 10,
            "per": "basket",
            "exclusive": True,
            "coupon": {"codes": ["VIP"]},
        },
    )
    basket = price([line("l1", TV)], rules, ctx(coupons=("VIP",)))
    assert basket.total_minor == 8_000
    assert basket.coupons_applied == ()
    assert basket.coupons_rejected == (
        CouponRejection("VIP", CouponRejectReason.NOT_COMBINABLE, "vip"),
    )


def test_a_threshold_coupon_whose_tier_is_not_reached_says_so() -> None:
    rules = promos(
        {
            "id": "man",
            "kind": "threshold",
            "tiers": [{"spend_minor": 20_000, "off_minor": 3_000}],
            "coupon": {"codes": ["MAN200"]},
        },
    )
    basket = price([line("l1", TV)], rules, ctx(coupons=("MAN200",)))
    assert basket.coupons_rejected == (
        CouponRejection("MAN200", CouponRejectReason.BELOW_MIN_SPEND, "man"),
    )
