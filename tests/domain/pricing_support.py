"""Builders shared by the pricing tests: items, contexts, promotion files, random rules."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing import (
    BasketLine,
    Member,
    PricedBasket,
    PricingContext,
    PromotionSet,
    load_promotions,
    price_basket,
)

# A Wednesday morning.
NOW = datetime(2026, 11, 25, 10, 30)
RATES = {"standard": Fraction(13, 100), "reduced": Fraction(9, 100), "zero": Fraction(0)}
EU_RATES = {"standard": Fraction(19, 100), "reduced": Fraction(7, 100), "zero": Fraction(0)}


def item(
    item_id: str,
    price: int,
    *,
    currency: str = "CNY",
    department: str = "grocery",
    unit: Unit = Unit.EACH,
    tax_class: str = "standard",
    member_price: int | None = None,
    tags: tuple[str, ...] = (),
) -> Item:
    return Item(
        item_id=item_id,
        names={"zh_CN": item_id, "en": item_id},
        price_minor=price,
        currency=currency,
        tax_class=tax_class,
        unit=unit,
        department=department,
        member_price_minor=member_price,
        tags=tags,
    )


def ctx(
    *,
    currency: str = "CNY",
    rounding: Rounding = Rounding.HALF_UP,
    inclusive: bool = True,
    now: datetime = NOW,
    member: Member | None = None,
    coupons: tuple[str, ...] = (),
    redeemed: frozenset[str] = frozenset(),
) -> PricingContext:
    return PricingContext(
        now=now,
        currency=currency,
        rounding=rounding,
        tax_inclusive=inclusive,
        tax_rates=EU_RATES if currency == "EUR" else RATES,
        member=member,
        coupons=coupons,
        redeemed_coupons=redeemed,
    )


def promos(*rules: dict[str, Any], currency: str = "CNY", **top: Any) -> PromotionSet:
    """A promotion set from rule dicts; each gets a label unless it has one."""
    full = [{"label": {"en": r["id"]}, **r} for r in rules]
    doc = {"version": 1, "currency": currency, "promotions": full, **top}
    return load_promotions(json.dumps(doc), "test")


def line(line_id: str, it: Item, quantity: int = 1, **kw: Any) -> BasketLine:
    return BasketLine(line_id, it, quantity, kw.get("weight_g"), kw.get("label_price_minor"))


def price(
    lines: Sequence[BasketLine], promotions: PromotionSet, context: PricingContext | None = None
) -> PricedBasket:
    return price_basket(lines, promotions, context or ctx())


def discounts_of(basket: PricedBasket, line_id: str) -> dict[str, int]:
    """rule id -> amount taken off one line (its own discounts and basket shares)."""
    found = basket.line(line_id)
    out: dict[str, int] = {}
    for d in (*found.discounts, *found.basket_shares):
        out[d.rule_id] = out.get(d.rule_id, 0) + d.amount_minor
    return out


def random_promotions(
    n: int, item_ids: Sequence[str], departments: Sequence[str], seed: int
) -> list[dict[str, Any]]:
    """`n` random, valid rule dicts of every kind over the given items (test helper)."""
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for k in range(n):
        rules.append(random_rule(rng, f"r{k}", item_ids, departments))
    return rules


def random_rule(
    rng: random.Random, rule_id: str, item_ids: Sequence[str], departments: Sequence[str]
) -> dict[str, Any]:
    scope: dict[str, list[str]] = (
        {"items": rng.sample(list(item_ids), rng.randint(1, min(3, len(item_ids))))}
        if rng.random() < 0.7
        else {"departments": [rng.choice(list(departments))]}
    )
    kind = rng.choice(
        ["price", "percent_off", "amount_off", "multi_buy", "mix_match", "threshold", "basket"]
    )
    rule: dict[str, Any] = {"id": rule_id, "label": {"en": rule_id}}
    if kind == "price":
        rule.update(kind="price", scope=scope, price_minor=rng.randrange(50, 900, 10))
    elif kind == "percent_off":
        rule.update(kind="percent_off", scope=scope, percent=rng.choice([5, 10, 12.5, 33, 50]))
    elif kind == "amount_off":
        rule.update(kind="amount_off", scope=scope, amount_minor=rng.choice([10, 50, 120]))
    elif kind in ("multi_buy", "mix_match"):
        quantity = rng.randint(2, 4)
        rule.update(kind=kind, scope=scope, quantity=quantity)
        if rng.random() < 0.5:
            rule["free"] = rng.randint(1, quantity - 1)
        else:
            rule["price_minor"] = rng.randrange(100, 1500, 10)
    elif kind == "threshold":
        spend = rng.choice([500, 1000, 2000])
        rule.update(kind="threshold", tiers=[{"spend_minor": spend, "off_minor": spend // 10}])
        if rng.random() < 0.5:
            rule["scope"] = scope
        if rng.random() < 0.3:
            rule["tiers"].append({"spend_minor": spend * 2, "off_minor": spend // 4})
    else:
        rule.update(kind="percent_off", per="basket", percent=rng.choice([5, 10]))
    if rng.random() < 0.25:
        rule["exclusive"] = True
    if rng.random() < 0.3:
        rule["priority"] = rng.randint(0, 5)
    if rng.random() < 0.15 and rule["kind"] != "price":
        rule["line_cap_minor"] = rng.choice([30, 100])
    if rng.random() < 0.15 and rule["kind"] != "price":
        rule["basket_cap_minor"] = rng.choice([50, 200])
    return rule
