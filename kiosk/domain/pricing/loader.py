"""Parse and validate the promotions JSON that head office pushes (docs/promotions.md).

Validation is strict in the Klipper manner (STYLE.md): an unknown key, a wrong type or
an out-of-range value rejects the whole file with a `PromotionError` that names the
source, the rule (index and id) and the field, so the operator can fix it at once.
Money is integer minor units; JSON numbers with a fraction are refused for money.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from kiosk.domain.money import MoneyError, currency
from kiosk.domain.pricing.fields import TOKEN, DuplicateKey, Fields, describe, no_constant, no_dupes
from kiosk.domain.pricing.model import PromotionError
from kiosk.domain.pricing.rules import (
    MEMBER_PRICE_ID,
    Kind,
    PromotionSet,
    Rule,
    Scope,
    Tier,
    Window,
)

FORMAT_VERSION = 1
_TOP_KEYS = frozenset({"version", "currency", "points", "promotions", "note"})
_COMMON_KEYS = frozenset(
    {
        "id",
        "kind",
        "label",
        "note",
        "priority",
        "exclusive",
        "valid_from",
        "valid_until",
        "days",
        "hours",
        "members_only",
        "member_tiers",
        "coupon",
        "scope",
        "exclude",
    }
)
_CAPS = frozenset({"line_cap_minor", "basket_cap_minor"})
_KIND_KEYS: dict[Kind, frozenset[str]] = {
    Kind.PRICE: frozenset({"price_minor"}),
    Kind.PERCENT_OFF: frozenset({"percent", "per"}) | _CAPS,
    Kind.AMOUNT_OFF: frozenset({"amount_minor", "per"}) | _CAPS,
    Kind.MULTI_BUY: frozenset({"quantity", "free", "price_minor", "max_applications"}) | _CAPS,
    Kind.MIX_MATCH: frozenset({"quantity", "free", "price_minor", "max_applications"}) | _CAPS,
    Kind.THRESHOLD: frozenset({"tiers", "repeat", "max_applications"}) | _CAPS,
    Kind.POINTS: frozenset({"multiplier"}),
}
_NEEDS_SCOPE = frozenset({Kind.PRICE, Kind.MULTI_BUY, Kind.MIX_MATCH})
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
_CLOCK = re.compile(r"(\d\d):(\d\d)")


def load_promotions(text: str, source: str) -> PromotionSet:
    """Parse promotions JSON text (read from `source`, named in every error).

    Raises `PromotionError` for invalid JSON, an unsupported version or currency, and any
    missing, unknown, mistyped or out-of-range field of any rule.
    """
    try:
        doc = json.loads(
            text, parse_float=Decimal, parse_constant=no_constant, object_pairs_hook=no_dupes
        )
    except json.JSONDecodeError as exc:
        raise PromotionError(
            source, f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except DuplicateKey as exc:
        raise PromotionError(source, f"duplicate key {exc.key!r} in a JSON object") from None
    top = Fields(source, None, None, "")
    if not isinstance(doc, dict):
        top.fail(None, "the file must hold one JSON object")
    top.no_unknown(doc, _TOP_KEYS)
    version = top.integer(doc, "version", required=True)
    if version != FORMAT_VERSION:
        top.fail("version", f"unsupported version {version}; this kiosk reads {FORMAT_VERSION}")
    items = doc.get("promotions")
    if not isinstance(items, list):
        top.fail("promotions", "required: a list of promotions")
    code = top.text(doc, "currency", required=bool(items))
    if code is not None:
        try:
            currency(code)
        except MoneyError as exc:
            top.fail("currency", str(exc))
    if "note" in doc:
        top.text(doc, "note", required=True)
    points_per_unit = None
    if "points" in doc:
        points = top.obj(doc, "points")
        top.no_unknown(points, frozenset({"per_unit"}), "points.")
        points_per_unit = top.decimal(points, "per_unit", minimum=Fraction(0), prefix="points.")
    rules: list[Rule] = []
    seen_ids: dict[str, int] = {}
    seen_codes: dict[str, str] = {}
    for index, raw in enumerate(items):
        rule = _read_rule(source, index, raw)
        if rule.rule_id in seen_ids:
            Fields(source, index, rule.rule_id, "").fail(
                "id", f"duplicate id; promotions[{seen_ids[rule.rule_id]}] has it too"
            )
        seen_ids[rule.rule_id] = index
        for coupon_code in sorted(rule.coupon_codes):
            if coupon_code in seen_codes:
                Fields(source, index, rule.rule_id, "").fail(
                    "coupon.codes",
                    f"code {coupon_code!r} also belongs to {seen_codes[coupon_code]!r}",
                )
            seen_codes[coupon_code] = rule.rule_id
        rules.append(rule)
    return PromotionSet.build(source, code, points_per_unit, rules)


def _read_rule(source: str, index: int, raw: object) -> Rule:
    if not isinstance(raw, dict):
        Fields(source, index, None, "").fail(
            None, f"each promotion must be a JSON object, got {describe(raw)}"
        )
    bare = Fields(source, index, None, "")
    rule_id = bare.text(raw, "id", required=True)
    assert rule_id is not None
    f = Fields(source, index, rule_id, "")
    if not TOKEN.fullmatch(rule_id):
        f.fail("id", "must be 1-64 characters without blanks")
    if rule_id == MEMBER_PRICE_ID:
        f.fail("id", f"{MEMBER_PRICE_ID!r} is reserved for catalogue member prices")
    kind_name = f.text(raw, "kind", required=True)
    try:
        kind = Kind(kind_name)
    except ValueError:
        f.fail("kind", f"unknown kind {kind_name!r}; one of {', '.join(k.value for k in Kind)}")
    f.no_unknown(raw, _COMMON_KEYS | _KIND_KEYS[kind])
    if "note" in raw:
        f.text(raw, "note", required=True)
    common: dict[str, Any] = {
        "rule_id": rule_id,
        "kind": kind,
        "label": _label(f, raw),
        "priority": f.integer(raw, "priority", minimum=-1_000_000) or 0,
        "exclusive": f.boolean(raw, "exclusive"),
        "window": _window(f, raw),
        "scope": _scope(f, raw, "scope"),
        "exclude": _scope(f, raw, "exclude"),
    }
    if kind in _NEEDS_SCOPE and common["scope"] is None:
        f.fail("scope", f"required for kind {kind.value}")
    if kind is Kind.POINTS and common["exclusive"]:
        f.fail("exclusive", "points multipliers do not change prices, so they cannot be exclusive")
    tiers = frozenset(f.strings(raw, "member_tiers")) if "member_tiers" in raw else frozenset()
    common["member_tiers"] = tiers
    common["members_only"] = f.boolean(raw, "members_only") or bool(tiers)
    if "coupon" in raw:
        coupon = f.obj(raw, "coupon")
        f.no_unknown(coupon, frozenset({"codes", "min_spend_minor"}), "coupon.")
        if "codes" not in coupon:
            f.fail("coupon.codes", "required")
        codes = f.strings(coupon, "codes", "coupon.")
        common["coupon_codes"] = frozenset(c.strip().upper() for c in codes)
        if len(common["coupon_codes"]) != len(codes):
            f.fail("coupon.codes", "lists a code twice (codes are compared case-insensitively)")
        common["min_spend_minor"] = (
            f.integer(coupon, "min_spend_minor", minimum=0, prefix="coupon.") or 0
        )
    for cap in ("line_cap_minor", "basket_cap_minor"):
        common[cap] = f.integer(raw, cap, minimum=1)
    return _KIND_READERS[kind](f, raw, common)


def _label(f: Fields, raw: dict[str, Any]) -> MappingProxyType[str, str]:
    if "label" not in raw:
        f.fail("label", 'required: an object of locale -> text, e.g. {"zh_CN": "满100减10"}')
    label = f.obj(raw, "label")
    if not label:
        f.fail("label", "needs at least one locale")
    for locale, text in label.items():
        if not _LOCALE.fullmatch(locale):
            f.fail(f"label.{locale}", "not a locale like zh_CN or en")
        if not isinstance(text, str) or not text.strip():
            f.fail(f"label.{locale}", f"must be a non-empty string, got {describe(text)}")
    return MappingProxyType(dict(label))


def _window(f: Fields, raw: dict[str, Any]) -> Window:
    start, until = f.moment(raw, "valid_from"), f.moment(raw, "valid_until")
    if start is not None and until is not None and until <= start:
        f.fail("valid_until", f"must be after valid_from ({start.isoformat()})")
    days = None
    if "days" in raw:
        names = f.strings(raw, "days")
        for i, name in enumerate(names):
            if name not in _DAYS:
                f.fail(f"days[{i}]", f"unknown day {name!r}; use {', '.join(_DAYS)}")
        days = frozenset(_DAYS[n] for n in names)
    minutes = None
    if "hours" in raw:
        hours = f.obj(raw, "hours")
        f.no_unknown(hours, frozenset({"from", "until"}), "hours.")
        begin = _clock(f, hours, "from", allow_24=False)
        end = _clock(f, hours, "until", allow_24=True)
        if end <= begin:
            f.fail(
                "hours.until",
                "must be later than hours.from (split a window over midnight in two promotions)",
            )
        minutes = (begin, end)
    return Window(start, until, days, minutes)


def _clock(f: Fields, hours: dict[str, Any], name: str, *, allow_24: bool) -> int:
    value = hours.get(name)
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        f.fail(f"hours.{name}", f'required: a time like "08:30", got {describe(value)}')
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not allow_24)):
        f.fail(f"hours.{name}", f"not a time of day: {value!r}")
    return hour * 60 + minute


def _scope(f: Fields, raw: dict[str, Any], name: str) -> Scope | None:
    if name not in raw:
        return None
    obj = f.obj(raw, name)
    f.no_unknown(obj, frozenset({"items", "departments", "tags"}), f"{name}.")
    if not obj:
        f.fail(name, "needs at least one of items, departments, tags")
    lists = {key: frozenset(f.strings(obj, key, f"{name}.")) for key in obj}
    return Scope(**lists)


def _read_price(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    price = f.integer(raw, "price_minor", required=True, minimum=0)
    return Rule(**common, price_minor=price)


def _per(f: Fields, raw: dict[str, Any]) -> bool:
    per = raw.get("per", "item")
    if per not in ("item", "basket"):
        f.fail("per", f'must be "item" or "basket", got {describe(per)}')
    return bool(per == "basket")


def _read_percent(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    percent = f.decimal(
        raw, "percent", minimum=Fraction(0), maximum=Fraction(100), exclusive_minimum=True
    )
    return Rule(**common, percent=percent, per_basket=_per(f, raw))


def _read_amount(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    amount = f.integer(raw, "amount_minor", required=True, minimum=1)
    return Rule(**common, amount_minor=amount, per_basket=_per(f, raw))


def _read_group(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    quantity = f.integer(raw, "quantity", required=True, minimum=1)
    assert quantity is not None
    if ("free" in raw) == ("price_minor" in raw):
        f.fail(
            "free",
            'give exactly one of "free" (pieces free per group) or "price_minor" (group price)',
        )
    free = f.integer(raw, "free", minimum=1) or 0
    if free and free >= quantity:
        f.fail("free", f"must be less than quantity ({quantity})")
    price = f.integer(raw, "price_minor", minimum=0)
    if price is not None and quantity < 2:
        f.fail("quantity", "a group price needs at least 2 pieces; for one piece use kind price")
    applications = f.integer(raw, "max_applications", minimum=1)
    return Rule(
        **common, quantity=quantity, free=free, price_minor=price, max_applications=applications
    )


def _read_threshold(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    if "tiers" not in raw:
        f.fail("tiers", 'required: e.g. [{"spend_minor": 10000, "off_minor": 1000}]')
    if not isinstance(raw["tiers"], list) or not raw["tiers"]:
        f.fail("tiers", f"must be a non-empty list, got {describe(raw['tiers'])}")
    tiers: list[Tier] = []
    for i, entry in enumerate(raw["tiers"]):
        prefix = f"tiers[{i}]."
        if not isinstance(entry, dict):
            f.fail(f"tiers[{i}]", f"must be an object, got {describe(entry)}")
        f.no_unknown(entry, frozenset({"spend_minor", "off_minor"}), prefix)
        spend = f.integer(entry, "spend_minor", required=True, minimum=1, prefix=prefix)
        off = f.integer(entry, "off_minor", required=True, minimum=1, prefix=prefix)
        assert spend is not None
        assert off is not None
        if off > spend:
            f.fail(prefix + "off_minor", f"takes off more ({off}) than the spend ({spend})")
        if tiers and (spend <= tiers[-1].spend_minor or off <= tiers[-1].off_minor):
            f.fail(
                f"tiers[{i}]", "tiers must rise: each spend_minor and off_minor above the previous"
            )
        tiers.append(Tier(spend, off))
    repeat = f.boolean(raw, "repeat")
    if repeat and len(tiers) != 1:
        f.fail("repeat", "repeat (每满…减…) takes exactly one tier")
    applications = f.integer(raw, "max_applications", minimum=1)
    if applications is not None and not repeat:
        f.fail("max_applications", "only valid with repeat: true")
    return Rule(**common, tiers=tuple(tiers), repeat=repeat, max_applications=applications)


def _read_points(f: Fields, raw: dict[str, Any], common: dict[str, Any]) -> Rule:
    multiplier = f.decimal(raw, "multiplier", minimum=Fraction(0), maximum=Fraction(100))
    return Rule(**common, multiplier=multiplier)


_KIND_READERS: dict[Kind, Callable[[Fields, dict[str, Any], dict[str, Any]], Rule]] = {
    Kind.PRICE: _read_price,
    Kind.PERCENT_OFF: _read_percent,
    Kind.AMOUNT_OFF: _read_amount,
    Kind.MULTI_BUY: _read_group,
    Kind.MIX_MATCH: _read_group,
    Kind.THRESHOLD: _read_threshold,
    Kind.POINTS: _read_points,
}
