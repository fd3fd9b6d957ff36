"""The promotions file: every kind parses; every mistake names the source, rule and field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from kiosk import errors
from kiosk.domain.pricing import PromotionError, load_promotions
from kiosk.domain.pricing.rules import Kind

EXAMPLE: dict[str, Any] = {
    "version": 1,
    "currency": "CNY",
    "points": {"per_unit": "1"},
    "note": "week 48 flyer",
    "promotions": [
        {
            "id": "cola-3for2",
            "kind": "multi_buy",
            "label": {"zh_CN": "可乐买二送一", "en": "Cola 3 for 2"},
            "scope": {"items": ["cola-330"]},
            "quantity": 3,
            "free": 1,
            "max_applications": 4,
        },
        {
            "id": "yogurt-any3",
            "kind": "mix_match",
            "label": {"zh_CN": "酸奶任选3件15元"},
            "scope": {"tags": ["yogurt"]},
            "quantity": 3,
            "price_minor": 1500,
        },
        {
            "id": "man-100-10",
            "kind": "threshold",
            "label": {"zh_CN": "满100减10，满200减25"},
            "tiers": [
                {"spend_minor": 10000, "off_minor": 1000},
                {"spend_minor": 20000, "off_minor": 2500},
            ],
            "exclude": {"departments": ["tobacco"]},
        },
        {
            "id": "fruit-10",
            "kind": "percent_off",
            "label": {"en": "10% off fruit"},
            "scope": {"departments": ["fruit"]},
            "percent": 10,
            "line_cap_minor": 2000,
            "days": ["sat", "sun"],
            "hours": {"from": "08:00", "until": "12:00"},
        },
        {
            "id": "welcome",
            "kind": "amount_off",
            "label": {"en": "Welcome coupon"},
            "per": "basket",
            "amount_minor": 500,
            "coupon": {"codes": ["WELCOME5"], "min_spend_minor": 3000},
            "valid_from": "2026-11-01T00:00",
            "valid_until": "2026-12-01T00:00",
        },
        {
            "id": "eggs-special",
            "kind": "price",
            "label": {"zh_CN": "会员特价鸡蛋"},
            "scope": {"items": ["eggs-10"]},
            "price_minor": 990,
            "member_tiers": ["gold"],
            "exclusive": True,
            "priority": 10,
        },
        {
            "id": "snack-points",
            "kind": "points",
            "label": {"zh_CN": "零食双倍积分"},
            "scope": {"departments": ["snacks"]},
            "multiplier": 2,
        },
    ],
}


def load(doc: Any, source: str = "promotions.json") -> Any:
    return load_promotions(json.dumps(doc), source)


def test_the_documented_example_loads_every_kind() -> None:
    promotions = load(EXAMPLE)
    assert len(promotions) == 7
    kinds = {rule.rule_id: rule.kind for rule in promotions.rules}
    assert kinds["cola-3for2"] is Kind.MULTI_BUY
    assert kinds["snack-points"] is Kind.POINTS
    assert promotions.points_per_unit == Fraction(1)
    assert promotions.by_coupon["WELCOME5"] == next(
        rank for rank, rule in enumerate(promotions.rules) if rule.rule_id == "welcome"
    )
    assert promotions.rules[0].rule_id == "eggs-special"  # highest priority ranks first
    gold = promotions.rules[0]
    assert gold.members_only  # member_tiers implies members only
    assert gold.member_tiers == frozenset({"gold"})


def test_the_example_in_the_docs_is_this_example() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "promotions.md"
    text = docs.read_text(encoding="utf-8")
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == EXAMPLE


def mutate(index: int, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    rule = doc["promotions"][index]
    for key, value in changes.items():
        if value is _DROP:
            rule.pop(key)
        else:
            rule[key] = value
    return doc


_DROP = object()

BAD_RULES = [
    (mutate(0, colour="red"), 0, "colour", "unknown field"),
    (mutate(0, quantity=_DROP), 0, "quantity", "required"),
    (mutate(0, quantity=3.0), 0, "quantity", "whole number"),
    (mutate(0, free=3), 0, "free", "less than quantity"),
    (mutate(0, price_minor=900), 0, "free", "exactly one of"),
    (mutate(0, scope=_DROP), 0, "scope", "required for kind multi_buy"),
    (mutate(0, scope={"items": []}), 0, "scope.items", "non-empty list"),
    (mutate(0, scope={"brands": ["x"]}), 0, "scope.brands", "unknown field"),
    (mutate(0, max_applications=0), 0, "max_applications", "between 1"),
    (mutate(1, quantity=1), 1, "quantity", "at least 2 pieces"),
    (mutate(1, price_minor=12.5), 1, "price_minor", "fractional number 12.5"),
    (mutate(2, tiers=[]), 2, "tiers", "non-empty list"),
    (mutate(2, tiers=[{"spend_minor": 100, "off_minor": 200}]), 2, "tiers[0].off_minor", "more"),
    (
        mutate(
            2, tiers=[{"spend_minor": 100, "off_minor": 10}, {"spend_minor": 100, "off_minor": 20}]
        ),
        2,
        "tiers[1]",
        "must rise",
    ),
    (mutate(2, tiers=[{"spend_minor": 100}]), 2, "tiers[0].off_minor", "required"),
    (mutate(2, repeat=True), 2, "repeat", "exactly one tier"),
    (mutate(2, max_applications=2), 2, "max_applications", "only valid with repeat"),
    (mutate(3, percent=0), 3, "percent", "above 0"),
    (mutate(3, percent=101), 3, "percent", "at most 100"),
    (mutate(3, percent="ten"), 3, "percent", "not a decimal"),
    (mutate(3, per="line"), 3, "per", '"item" or "basket"'),
    (mutate(3, days=["someday"]), 3, "days[0]", "unknown day"),
    (mutate(3, hours={"from": "12:00", "until": "08:00"}), 3, "hours.until", "later than"),
    (mutate(3, hours={"from": "8am", "until": "12:00"}), 3, "hours.from", "a time like"),
    (mutate(3, hours={"from": "08:00", "until": "24:30"}), 3, "hours.until", "not a time"),
    (mutate(3, line_cap_minor=-5), 3, "line_cap_minor", "between 1"),
    (mutate(4, coupon={"codes": ["A", "a"]}), 4, "coupon.codes", "twice"),
    (mutate(4, coupon={"min_spend_minor": 10}), 4, "coupon.codes", "required"),
    (mutate(4, coupon={"codes": ["A"], "once": True}), 4, "coupon.once", "unknown field"),
    (mutate(4, valid_until="2026-10-01T00:00"), 4, "valid_until", "after valid_from"),
    (mutate(4, valid_from="2026-11-01T00:00+08:00"), 4, "valid_from", "UTC offset"),
    (mutate(4, valid_from="next week"), 4, "valid_from", "ISO 8601"),
    (mutate(4, amount_minor=0), 4, "amount_minor", "between 1"),
    (mutate(5, price_minor=_DROP), 5, "price_minor", "required"),
    (mutate(5, line_cap_minor=100), 5, "line_cap_minor", "unknown field"),
    (mutate(5, label={}), 5, "label", "at least one locale"),
    (mutate(5, label={"chinese": "特价"}), 5, "label.chinese", "not a locale"),
    (mutate(5, label={"en": ""}), 5, "label.en", "non-empty string"),
    (mutate(5, label=_DROP), 5, "label", "required"),
    (mutate(5, member_tiers=[]), 5, "member_tiers", "non-empty list"),
    (mutate(5, exclusive="yes"), 5, "exclusive", "true or false"),
    (mutate(5, kind="bogof"), 5, "kind", "unknown kind"),
    (mutate(5, id="member-price"), 5, "id", "reserved"),
    (mutate(5, id="has space"), 5, "id", "without blanks"),
    (mutate(6, exclusive=True), 6, "exclusive", "cannot be exclusive"),
    (mutate(6, multiplier=-1), 6, "multiplier", "at least 0"),
    (mutate(6, id="cola-3for2"), 6, "id", "duplicate id"),
    (mutate(6, coupon={"codes": ["welcome5"]}), 6, "coupon.codes", "also belongs to 'welcome'"),
]


@pytest.mark.parametrize(("doc", "index", "field", "problem"), BAD_RULES)
def test_each_invalid_rule_names_the_source_rule_and_field(
    doc: dict[str, Any], index: int, field: str, problem: str
) -> None:
    with pytest.raises(PromotionError) as caught:
        load(doc, "/etc/kiosk/promotions.json")
    error = caught.value
    assert isinstance(error, errors.PromotionError)
    assert (error.source, error.index, error.field) == ("/etc/kiosk/promotions.json", index, field)
    message = str(error)
    assert message.startswith(f"/etc/kiosk/promotions.json: promotions[{index}]")
    assert f"field {field!r}" in message
    assert problem in message
    rule_id = doc["promotions"][index].get("id")
    if isinstance(rule_id, str) and field != "id":
        assert f"(id {rule_id!r})" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON at line 1 column 2"),
        ("[]", "one JSON object"),
        ('{"version": 1, "promotions": [], "version": 2}', "duplicate key 'version'"),
        ('{"version": 2, "promotions": []}', "unsupported version 2"),
        ('{"version": 1}', "field 'promotions': required"),
        ('{"version": 1, "promotions": [], "extra": 1}', "field 'extra': unknown field"),
        ('{"version": 1, "currency": "XYZ", "promotions": []}', "unsupported currency"),
        ('{"version": 1, "promotions": [{"id": "a"}]}', "field 'currency': required"),
        ('{"version": 1, "promotions": [], "points": {"per_unit": NaN}}', "NaN is not a number"),
        ('{"version": 1, "promotions": [], "points": {"rate": 1}}', "field 'points.rate'"),
        ('{"version": 1, "currency": "CNY", "promotions": [7]}', "promotions[0]: each promotion"),
        (
            '{"version": 1, "currency": "CNY", "promotions": [{"kind": "price"}]}',
            "field 'id': required",
        ),
    ],
)
def test_file_level_mistakes_are_named(text: str, problem: str) -> None:
    with pytest.raises(PromotionError, match=r"^promos\.json[:,] ") as caught:
        load_promotions(text, "promos.json")
    assert problem in str(caught.value)


def test_percent_accepts_integers_decimal_strings_and_exact_json_decimals() -> None:
    for value in (10, "12.5", Decimal("33.3")):
        doc = mutate(3, percent=value)
        text = json.dumps(doc, default=str).replace('"33.3"', "33.3")
        rule = next(r for r in load_promotions(text, "x").rules if r.rule_id == "fruit-10")
        assert rule.percent == Fraction(str(value))
