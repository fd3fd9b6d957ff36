"""Realistic synthetic promotions for benchmarks and tests (docs/promotions.md format).

The mix follows a Chinese supermarket's weekly flyer: mostly item specials and
multi-buys, some mix & match and department discounts, a few 满减 thresholds, coupons
and points multipliers; some rules are member-only, time-limited or exclusive.

Item-level rules name one to six of the `item_ids` given, so an item carries about
1.8 × n / len(item_ids) item-level deals: pass a store's promoted range (a few thousand
items for 1,000 promotions), not just the items one basket holds. This is benchmark
data generation (it draws random numbers), so it lives here, outside the pure domain.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from typing import Any

# Share of promotions per maker. Department-wide and basket-wide rules are few in a real
# flyer (a couple per department at most, see _LIMITS); item-level rules are the bulk.
_KINDS: tuple[tuple[str, int], ...] = (
    ("special_price", 2),
    ("item_percent", 30),
    ("multi_buy", 20),
    ("mix_match", 10),
    ("item_amount", 14),
    ("department_percent", 2),
    ("department_threshold", 1),
    ("basket_threshold", 1),
    ("coupon", 8),
    ("points", 5),
    ("department_multi_buy", 1),
)
# At most this many rules of a kind per department (or per store for basket-wide ones);
# further draws become item discounts.
_LIMITS = {
    "department_percent": 2,
    "department_threshold": 1,
    "department_multi_buy": 1,
    "basket_threshold": 0,
}


def synthetic_promotions(
    n: int, item_ids: Sequence[str], departments: Sequence[str], seed: int
) -> str:
    """JSON text (format version 1, CNY) with `n` promotions over the given items.

    Deterministic for a given seed. Whole-basket rules are kept few, as in real stores,
    so that most rules reach a basket only through the item and department indexes.
    """
    if not item_ids or not departments:
        raise ValueError("synthetic promotions need at least one item id and one department")
    rng = random.Random(seed)
    names = [name for name, _ in _KINDS]
    weights = [weight for _, weight in _KINDS]
    promotions = []
    counts: dict[str, int] = {}
    for k in range(n):
        kind = rng.choices(names, weights)[0]
        if kind in _LIMITS:
            counts[kind] = counts.get(kind, 0) + 1
            limit = _LIMITS[kind] * len(departments) if _LIMITS[kind] else 1
            if counts[kind] > limit:
                kind = "item_percent"
        rule = _MAKERS[kind](rng, list(item_ids), list(departments))
        rule["id"] = f"syn-{k:05d}"
        _decorate(rng, rule)
        promotions.append(rule)
    doc = {"version": 1, "currency": "CNY", "points": {"per_unit": 1}, "promotions": promotions}
    return json.dumps(doc, ensure_ascii=False)


def _items(rng: random.Random, item_ids: list[str], low: int, high: int) -> list[str]:
    return rng.sample(item_ids, min(len(item_ids), rng.randint(low, high)))


def _special_price(rng: random.Random, items: list[str], _d: list[str]) -> dict[str, Any]:
    price = rng.randrange(90, 3000, 10)
    return {
        "kind": "price",
        "label": {"zh_CN": f"特价 ¥{price / 100:.2f}", "en": f"Special ¥{price / 100:.2f}"},
        "scope": {"items": _items(rng, items, 1, 2)},
        "price_minor": price,
    }


def _item_percent(rng: random.Random, items: list[str], _d: list[str]) -> dict[str, Any]:
    percent = rng.choice((5, 10, 15, 20, 25, 30, 50))
    return {
        "kind": "percent_off",
        "label": {"zh_CN": f"{100 - percent}折", "en": f"{percent}% off"},
        "scope": {"items": _items(rng, items, 1, 3)},
        "percent": percent,
    }


def _item_amount(rng: random.Random, items: list[str], _d: list[str]) -> dict[str, Any]:
    amount = rng.choice((50, 100, 200, 300, 500))
    return {
        "kind": "amount_off",
        "label": {"zh_CN": f"立减{amount / 100:g}元", "en": f"¥{amount / 100:g} off"},
        "scope": {"items": _items(rng, items, 1, 3)},
        "amount_minor": amount,
    }


def _multi_buy(rng: random.Random, items: list[str], _d: list[str]) -> dict[str, Any]:
    return _group(rng, "multi_buy", {"items": _items(rng, items, 1, 2)})


def _department_multi_buy(rng: random.Random, _i: list[str], depts: list[str]) -> dict[str, Any]:
    return _group(rng, "multi_buy", {"departments": [rng.choice(depts)]})


def _mix_match(rng: random.Random, items: list[str], depts: list[str]) -> dict[str, Any]:
    scope = (
        {"departments": [rng.choice(depts)]}
        if rng.random() < 0.05
        else {"items": _items(rng, items, 2, 6)}
    )
    return _group(rng, "mix_match", scope)


def _group(rng: random.Random, kind: str, scope: dict[str, list[str]]) -> dict[str, Any]:
    quantity = rng.choice((2, 3, 3, 4))
    rule: dict[str, Any] = {"kind": kind, "scope": scope, "quantity": quantity}
    if rng.random() < 0.6:
        rule["free"] = 1
        rule["label"] = {"zh_CN": f"买{quantity - 1}送1", "en": f"{quantity} for {quantity - 1}"}
    else:
        price = rng.randrange(500, 3000, 100)
        rule["price_minor"] = price
        rule["label"] = {
            "zh_CN": f"任选{quantity}件{price / 100:g}元",
            "en": f"any {quantity} for ¥{price / 100:g}",
        }
    if rng.random() < 0.2:
        rule["max_applications"] = rng.randint(1, 3)
    return rule


def _department_percent(rng: random.Random, _i: list[str], depts: list[str]) -> dict[str, Any]:
    percent = rng.choice((5, 8, 10, 12))
    return {
        "kind": "percent_off",
        "label": {"zh_CN": f"部门{100 - percent}折", "en": f"{percent}% off the department"},
        "scope": {"departments": [rng.choice(depts)]},
        "percent": percent,
        "line_cap_minor": 2000,
    }


def _tiers(rng: random.Random) -> list[dict[str, int]]:
    spend = rng.choice((5000, 8000, 10000))
    off = spend // 10
    return [
        {"spend_minor": spend * (k + 1), "off_minor": off * (k + 1) + 200 * k}
        for k in range(rng.randint(1, 3))
    ]


def _department_threshold(rng: random.Random, _i: list[str], depts: list[str]) -> dict[str, Any]:
    tiers = _tiers(rng)
    return {
        "kind": "threshold",
        "label": {
            "zh_CN": f"满{tiers[0]['spend_minor'] // 100}减{tiers[0]['off_minor'] // 100}",
            "en": f"¥{tiers[0]['off_minor'] // 100} off ¥{tiers[0]['spend_minor'] // 100}",
        },
        "scope": {"departments": [rng.choice(depts)]},
        "tiers": tiers,
    }


def _basket_threshold(rng: random.Random, _i: list[str], _d: list[str]) -> dict[str, Any]:
    return {
        "kind": "threshold",
        "label": {"zh_CN": "每满100减10", "en": "¥10 off every ¥100"},
        "tiers": [{"spend_minor": 10000, "off_minor": 1000}],
        "repeat": True,
        "max_applications": 5,
    }


def _coupon(rng: random.Random, _i: list[str], depts: list[str]) -> dict[str, Any]:
    code = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=10))
    rule: dict[str, Any] = {
        "kind": "amount_off",
        "label": {"zh_CN": "优惠券", "en": "Coupon"},
        "per": "basket",
        "amount_minor": rng.choice((500, 1000, 2000)),
        "coupon": {"codes": [code], "min_spend_minor": rng.choice((0, 5000, 10000))},
    }
    if rng.random() < 0.5:
        rule["scope"] = {"departments": [rng.choice(depts)]}
    return rule


def _points(rng: random.Random, items: list[str], depts: list[str]) -> dict[str, Any]:
    scope = (
        {"departments": [rng.choice(depts)]}
        if rng.random() < 0.1
        else {"items": _items(rng, items, 1, 5)}
    )
    multiplier = rng.choice((2, 3, 5))
    return {
        "kind": "points",
        "label": {"zh_CN": f"{multiplier}倍积分", "en": f"{multiplier}x points"},
        "scope": scope,
        "multiplier": multiplier,
    }


_MAKERS: dict[str, Callable[[random.Random, list[str], list[str]], dict[str, Any]]] = {
    "special_price": _special_price,
    "item_percent": _item_percent,
    "item_amount": _item_amount,
    "multi_buy": _multi_buy,
    "department_multi_buy": _department_multi_buy,
    "mix_match": _mix_match,
    "department_percent": _department_percent,
    "department_threshold": _department_threshold,
    "basket_threshold": _basket_threshold,
    "coupon": _coupon,
    "points": _points,
}


def _decorate(rng: random.Random, rule: dict[str, Any]) -> None:
    """Common conditions, in the proportions a weekly flyer has them."""
    roll = rng.random()
    if roll < 0.15:
        rule["valid_from"] = "2026-01-01T00:00"
        rule["valid_until"] = "2027-01-01T00:00"
    elif roll < 0.2:
        rule["valid_from"] = "2025-01-01T00:00"  # already over
        rule["valid_until"] = "2025-02-01T00:00"
    if rng.random() < 0.1:
        rule["days"] = rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 3)
    if rng.random() < 0.05:
        rule["hours"] = {"from": "08:00", "until": "12:00"}
    if rng.random() < 0.1:
        rule["members_only"] = True
    if rule["kind"] != "points":
        # "不与其他优惠同享" is for item deals; a store-wide exclusive rule would shut out
        # every other promotion, which head office does through coupons only.
        if rng.random() < 0.05 and "scope" in rule:
            rule["exclusive"] = True
        if rng.random() < 0.2:
            rule["priority"] = rng.randint(1, 10)
