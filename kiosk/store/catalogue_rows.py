"""One record of a head-office catalogue export: its columns and keys, and the checks
that turn it into an `Item` or into problems naming file, line, field and reason.

The CSV and JSON formats (docs/catalogue-format.md) share every check after typing
(`_item`); `kiosk.store.catalogue_files` reads the files, `kiosk.store.catalogue_import`
puts a checked export live.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.domain.barcodes.gtin import check_digit_of
from kiosk.domain.catalogue import LOCALES, AgeLimit, Item, Unit
from kiosk.domain.money import MoneyError, currency
from kiosk.errors import CatalogueError

# Column order is the order `_csv_item` unpacks; a CSV file may order them as it likes.
CSV_COLUMNS: tuple[str, ...] = (
    "item_id",
    "gtins",
    "plu",
    "name_zh_CN",
    "name_en",
    "price_minor",
    "currency",
    "tax_class",
    "unit",
    "department",
    "age_limit",
    "expected_weight_g",
    "weight_tolerance_g",
    "member_price_minor",
    "image",
    "active",
    "tags",
)
REQUIRED_CSV_COLUMNS = ("item_id", "price_minor", "currency", "tax_class", "unit", "department")
NAME_COLUMNS = {"zh_CN": "name_zh_CN", "en": "name_en"}
JSON_ITEM_KEYS: tuple[str, ...] = (
    "item_id",
    "gtins",
    "plu",
    "names",
    *CSV_COLUMNS[5:],
)
assert set(NAME_COLUMNS) == set(LOCALES), "one CSV name column per locale"

# Sanity bounds that catch a unit mix-up in an export (yuan written as fen, kg as g).
MAX_PRICE_MINOR = 100_000_000
MAX_WEIGHT_G = 100_000
MAX_TEXT = 200
MAX_PROBLEMS_KEPT = 1000
MAX_PROBLEMS_SHOWN = 50

_ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INT = re.compile(r"-?[0-9]+")
_PLU = re.compile(r"[0-9]{1,6}")
_DIGITS = re.compile(r"[0-9]+")
_TAX_CLASS = re.compile(r"[a-z][a-z0-9_]{0,31}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNITS = {unit.value: unit for unit in Unit}
_AGE_LIMITS = {int(age): age for age in AgeLimit}
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong with an export: where (file, line, field) and why."""

    source: str
    line: int  # 0 for problems with the file as a whole
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field}: {self.reason}"


class CatalogueImportError(CatalogueError):
    """A catalogue export is invalid; `problems` lists what and where (first 1000)."""

    def __init__(
        self,
        problems: Sequence[ImportProblem],
        *,
        total: int | None = None,
        summary: str = "invalid catalogue data",
    ) -> None:
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        shown = [f"  {problem}" for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        if self.total > len(shown):
            shown.append(f"  ... and {self.total - len(shown)} more")
        plural = "problem" if self.total == 1 else "problems"
        super().__init__(f"{summary} ({self.total} {plural}):\n" + "\n".join(shown))


class RowCheck:
    """Problems found in one record, with where they were found."""

    __slots__ = ("line", "problems", "source")

    def __init__(self, source: str, line: int) -> None:
        self.source = source
        self.line = line
        self.problems: list[ImportProblem] = []

    def fail(self, field: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.source, self.line, field, reason))

    def failed(self, field: str) -> bool:
        return any(problem.field == field for problem in self.problems)

    def csv_int(self, field: str, text: str) -> int | None:
        if not text:
            return None
        if (text.isdigit() and text.isascii()) or _INT.fullmatch(text):
            return int(text)
        hint = ""
        if field.endswith("_minor"):
            hint = "; prices are whole minor units (fen/cents): 12.50 is written 1250"
        self.fail(field, f"{text!r} is not a whole number{hint}")
        return None

    def json_value(self, obj: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"must be {what}, got {json.dumps(value, ensure_ascii=False)[:60]}")
            return None
        return value

    def json_str_list(self, obj: Mapping[str, Any], key: str) -> list[str]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
            return []
        return [v.strip() for v in value]


def shown_name(name: object) -> str:
    """A column or key name as a technician can read it ('' and ' x' quoted)."""
    text = str(name)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split("|")] if text else []


def parse_csv_row(row: Mapping[str, str], *, source: str, line: int) -> Item:
    """Validate one CSV record (column name -> cell text) and return its Item.

    Missing columns count as empty cells. Raises CatalogueImportError naming
    `source:line: column: reason` for every problem.
    """
    check = RowCheck(source, line)
    for column in row.keys() - CSV_COLUMN_SET:
        check.fail(shown_name(column), f"unknown column; known: {', '.join(CSV_COLUMNS)}")
    return csv_item([(row.get(c) or "").strip() for c in CSV_COLUMNS], check)


CSV_COLUMN_SET = frozenset(CSV_COLUMNS)


def csv_item(values: Sequence[str], check: RowCheck) -> Item:
    """Cells in CSV_COLUMNS order, stripped of surrounding white space."""
    (item_id, gtins, plu, zh, en, price, cur, tax, unit, dept, age, weight, tolerance, member,
     image, active_text, tags) = values  # fmt: skip
    active_text = active_text.lower()
    active = active_text not in _FALSE
    if active and active_text and active_text not in _TRUE:
        check.fail("active", f"{active_text!r} is not one of 1, 0, true, false, yes, no")
    names = {locale: text for locale, text in (("zh_CN", zh), ("en", en)) if text}
    return _item(
        check,
        item_id=item_id,
        gtins=_split(gtins),
        plu=plu or None,
        names=names,
        name_field=NAME_COLUMNS.__getitem__,
        price_minor=check.csv_int("price_minor", price),
        currency_code=cur,
        tax_class=tax,
        unit=unit,
        department=dept,
        age_limit=check.csv_int("age_limit", age),
        expected_weight_g=check.csv_int("expected_weight_g", weight),
        weight_tolerance_g=check.csv_int("weight_tolerance_g", tolerance),
        member_price_minor=check.csv_int("member_price_minor", member),
        image=image or None,
        active=active,
        tags=_split(tags),
    )


def parse_json_item(obj: object, *, source: str, line: int) -> Item:
    """Validate one item object of a JSON export and return its Item.

    Raises CatalogueImportError naming `source:line: key: reason` for every problem.
    """
    check = RowCheck(source, line)
    if not isinstance(obj, dict):
        check.fail("item", "must be a JSON object")
        raise CatalogueImportError(check.problems)
    for key in obj.keys() - _JSON_KEY_SET:
        check.fail(shown_name(key), f"unknown key; known: {', '.join(JSON_ITEM_KEYS)}")
    raw_names = check.json_value(obj, "names", dict, 'an object like {"zh_CN": "…", "en": "…"}')
    names: dict[str, str] = {}
    for locale, name in (raw_names or {}).items():
        if locale not in LOCALES:
            check.fail(f"names.{shown_name(locale)}", f"unknown locale; use {' or '.join(LOCALES)}")
        elif not isinstance(name, str):
            check.fail(f"names.{locale}", "must be a string")
        elif name.strip():
            names[locale] = name.strip()
    active = check.json_value(obj, "active", bool, "true or false")

    def text(key: str, what: str = "a string") -> str:
        return str(check.json_value(obj, key, str, what) or "").strip()

    return _item(
        check,
        item_id=text("item_id"),
        gtins=check.json_str_list(obj, "gtins"),
        plu=text("plu", "a string of digits") or None,
        names=names,
        name_field=lambda locale: f"names.{locale}",
        price_minor=check.json_value(obj, "price_minor", int, "an integer"),
        currency_code=text("currency"),
        tax_class=text("tax_class"),
        unit=text("unit"),
        department=text("department"),
        age_limit=check.json_value(obj, "age_limit", int, "an integer"),
        expected_weight_g=check.json_value(obj, "expected_weight_g", int, "an integer"),
        weight_tolerance_g=check.json_value(obj, "weight_tolerance_g", int, "an integer"),
        member_price_minor=check.json_value(obj, "member_price_minor", int, "an integer"),
        image=text("image") or None,
        active=True if active is None else active,
        tags=check.json_str_list(obj, "tags"),
    )


_JSON_KEY_SET = frozenset(JSON_ITEM_KEYS)


def _text(check: RowCheck, field: str, value: str, *, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        check.fail(field, f"longer than {limit} characters")
    elif _CONTROL.search(value):
        check.fail(field, "contains a control character (line break, tab, NUL)")


def _required(check: RowCheck, field: str, value: object) -> bool:
    """False (after recording "missing" unless the field already failed) if empty."""
    if value is None or value == "":
        if not check.failed(field):
            check.fail(field, "missing")
        return False
    return True


def _item(
    check: RowCheck,
    *,
    item_id: str,
    gtins: list[str],
    plu: str | None,
    names: dict[str, str],
    name_field: Callable[[str], str],
    price_minor: int | None,
    currency_code: str,
    tax_class: str,
    unit: str,
    department: str,
    age_limit: int | None,
    expected_weight_g: int | None,
    weight_tolerance_g: int | None,
    member_price_minor: int | None,
    image: str | None,
    active: bool,
    tags: list[str],
) -> Item:
    """The checks shared by every format, on values already typed by the format parser."""
    if _required(check, "item_id", item_id) and not _ITEM_ID.fullmatch(item_id):
        reason = "is not 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit"
        check.fail("item_id", f"{item_id!r} {reason}")
    keys: list[str] = []
    for code in gtins:
        key = _gtin_key(check, code)
        if key is not None and key in keys:
            check.fail("gtins", f"GTIN {code} is listed twice for this item")
        elif key is not None:
            keys.append(key)
    if plu is not None and not _PLU.fullmatch(plu):
        check.fail("plu", f"{plu!r} is not 1-6 digits")
    if not names and not any(check.failed(name_field(locale)) for locale in LOCALES):
        check.fail(name_field(LOCALES[0]), f"missing; give a name in at least one of {LOCALES}")
    for locale, name in names.items():
        _text(check, name_field(locale), name)
    if (
        _required(check, "price_minor", price_minor)
        and price_minor is not None
        and not 0 < price_minor <= MAX_PRICE_MINOR
    ):
        check.fail("price_minor", f"{price_minor} is not between 1 and {MAX_PRICE_MINOR}")
    if _required(check, "currency", currency_code):
        try:
            currency(currency_code)
        except MoneyError as exc:
            check.fail("currency", str(exc))
    if _required(check, "tax_class", tax_class) and not _TAX_CLASS.fullmatch(tax_class):
        check.fail("tax_class", f"{tax_class!r} is not a tax class name like standard or reduced")
    unit_value = _UNITS.get(unit, Unit.EACH)
    if _required(check, "unit", unit) and unit not in _UNITS:
        check.fail("unit", f"unknown unit {unit!r}; use each or kg")
    if _required(check, "department", department):
        _text(check, "department", department, limit=64)
    age = _AGE_LIMITS.get(age_limit or 0, AgeLimit.NONE)
    if (age_limit or 0) not in _AGE_LIMITS:
        check.fail("age_limit", f"{age_limit} is not 0, 16 or 18")
    _weights(check, unit_value, expected_weight_g, weight_tolerance_g)
    if member_price_minor is not None:
        if member_price_minor <= 0:
            check.fail("member_price_minor", f"{member_price_minor} is not positive")
        elif price_minor is not None and member_price_minor > price_minor:
            check.fail("member_price_minor", f"{member_price_minor} is above the price")
    if image is not None:
        _text(check, "image", image, limit=255)
    for tag in tags:
        if not tag:
            check.fail("tags", "empty tag (two | in a row?)")
        elif "|" in tag:
            check.fail("tags", f"{tag!r} contains |, the tag separator")
        else:
            _text(check, "tags", tag, limit=32)
    if check.problems:
        raise CatalogueImportError(check.problems)
    return Item(
        item_id=item_id,
        names=names,
        price_minor=price_minor or 0,
        currency=currency_code,
        tax_class=tax_class,
        unit=unit_value,
        department=department,
        gtins=tuple(keys),
        plu=plu,
        age_limit=age,
        expected_weight_g=expected_weight_g,
        weight_tolerance_g=weight_tolerance_g,
        member_price_minor=member_price_minor,
        image=image,
        active=active,
        tags=tuple(dict.fromkeys(tags)),
    )


def _gtin_key(check: RowCheck, code: str) -> str | None:
    """The 14-digit lookup key of a GTIN-8/12/13/14, or None after recording why not."""
    if not code:
        check.fail("gtins", "empty GTIN (two | in a row?)")
        return None
    if not _DIGITS.fullmatch(code) or len(code) not in (8, 12, 13, 14):
        check.fail("gtins", f"{code!r} is not a GTIN of 8, 12, 13 or 14 digits")
        return None
    expected = check_digit_of(code[:-1])
    if int(code[-1]) != expected:
        check.fail("gtins", f"GTIN {code} has check digit {code[-1]}, expected {expected}")
        return None
    if code.count("0") >= len(code) - 1:
        check.fail("gtins", f"GTIN {code} is a placeholder, not a real GTIN")
        return None
    return code.zfill(14)


def _weights(check: RowCheck, unit: Unit, expected: int | None, tolerance: int | None) -> None:
    if expected is None and tolerance is None:
        return  # "no weigh"
    if unit is Unit.KG:
        field = "expected_weight_g" if expected is not None else "weight_tolerance_g"
        check.fail(field, "items sold by kg are weighed at the scale; leave it empty")
        return
    if expected is None or tolerance is None:
        check.fail(
            "expected_weight_g" if expected is None else "weight_tolerance_g",
            "give both expected_weight_g and weight_tolerance_g, or neither for no-weigh items",
        )
        return
    for field, grams in (("expected_weight_g", expected), ("weight_tolerance_g", tolerance)):
        if not 0 < grams <= MAX_WEIGHT_G:
            check.fail(field, f"{grams} g is not between 1 and {MAX_WEIGHT_G}")


def item_to_json(item: Item) -> dict[str, object]:
    """An Item as one object of the JSON export format (what parse_json_item accepts)."""
    return {
        "item_id": item.item_id,
        "gtins": list(item.gtins),
        "plu": item.plu,
        "names": dict(item.names),
        "price_minor": item.price_minor,
        "currency": item.currency,
        "tax_class": item.tax_class,
        "unit": item.unit.value,
        "department": item.department,
        "age_limit": int(item.age_limit),
        "expected_weight_g": item.expected_weight_g,
        "weight_tolerance_g": item.weight_tolerance_g,
        "member_price_minor": item.member_price_minor,
        "image": item.image,
        "active": item.active,
        "tags": list(item.tags),
    }


# --------------------------------------------------------------------------- files
