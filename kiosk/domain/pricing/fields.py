"""Typed, bounded getters for the promotions loader; every failure names its field."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NoReturn

from kiosk.domain.pricing.model import PromotionError

INT_LIMIT = 10**12  # no basket reaches ten billion yuan; bigger numbers are typos
TOKEN = re.compile(r"[^\s]{1,64}")


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def no_constant(name: str) -> NoReturn:
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


class Fields:
    """Typed, bounded getters that raise errors naming source, rule and field."""

    def __init__(self, source: str, index: int | None, rule_id: str | None, prefix: str) -> None:
        self.source = source
        self.index = index
        self.rule_id = rule_id
        self.prefix = prefix

    def fail(self, name: str | None, problem: str) -> NoReturn:
        raise PromotionError(
            self.source,
            problem,
            index=self.index,
            rule_id=self.rule_id,
            field=None if name is None else self.prefix + name,
        )

    def no_unknown(self, obj: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
        for key in obj:
            if key not in allowed:
                self.fail(
                    prefix + key, f"unknown field; allowed here: {', '.join(sorted(allowed))}"
                )

    def obj(self, obj: dict[str, Any], name: str) -> dict[str, Any]:
        value = obj[name]
        if not isinstance(value, dict):
            self.fail(name, f"must be a JSON object, got {describe(value)}")
        return value

    def integer(
        self,
        obj: dict[str, Any],
        name: str,
        *,
        required: bool = False,
        minimum: int = -INT_LIMIT,
        prefix: str = "",
    ) -> int | None:
        if name not in obj:
            if required:
                self.fail(prefix + name, "required")
            return None
        value = obj[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(prefix + name, f"must be a whole number (minor units), got {describe(value)}")
        if not minimum <= value <= INT_LIMIT:
            self.fail(prefix + name, f"must be between {minimum} and {INT_LIMIT}, got {value}")
        return value

    def boolean(self, obj: dict[str, Any], name: str) -> bool:
        value = obj.get(name, False)
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, got {describe(value)}")
        return value

    def text(self, obj: dict[str, Any], name: str, *, required: bool = False) -> str | None:
        if name not in obj:
            if required:
                self.fail(name, "required")
            return None
        value = obj[name]
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"must be a non-empty string, got {describe(value)}")
        return value

    def decimal(
        self,
        obj: dict[str, Any],
        name: str,
        *,
        minimum: Fraction,
        maximum: Fraction | None = None,
        exclusive_minimum: bool = False,
        prefix: str = "",
    ) -> Fraction:
        if name not in obj:
            self.fail(prefix + name, "required")
        value = obj[name]
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            self.fail(prefix + name, f"must be a number or a decimal string, got {describe(value)}")
        try:
            exact = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            self.fail(prefix + name, f"not a decimal number: {value!r}")
        if not exact.is_finite():
            self.fail(prefix + name, f"not a finite number: {value!r}")
        number = Fraction(exact)
        too_low = number <= minimum if exclusive_minimum else number < minimum
        if too_low or (maximum is not None and number > maximum):
            bound = f"above {minimum}" if exclusive_minimum else f"at least {minimum}"
            upper = f" and at most {maximum}" if maximum is not None else ""
            self.fail(prefix + name, f"must be {bound}{upper}, got {value}")
        return number

    def strings(self, obj: dict[str, Any], name: str, prefix: str = "") -> list[str]:
        value = obj[name]
        if not isinstance(value, list) or not value:
            self.fail(prefix + name, f"must be a non-empty list of strings, got {describe(value)}")
        for i, entry in enumerate(value):
            if not isinstance(entry, str) or not TOKEN.fullmatch(entry):
                self.fail(
                    f"{prefix}{name}[{i}]",
                    f"must be a string of 1-64 non-blank characters, got {entry!r}",
                )
        if len(set(value)) != len(value):
            self.fail(prefix + name, "lists a value twice")
        return value

    def moment(self, obj: dict[str, Any], name: str) -> datetime | None:
        if name not in obj:
            return None
        value = obj[name]
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            self.fail(name, f"must be an ISO 8601 date-time like 2026-11-27T08:00, got {value!r}")
        if moment.tzinfo is not None:
            self.fail(name, "must be store-local wall-clock time; remove the UTC offset")
        return moment


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Decimal):
        return f"the fractional number {value}"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__
