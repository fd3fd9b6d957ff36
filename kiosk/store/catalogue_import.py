"""Importing a head-office catalogue export into the kiosk's SQLite catalogue.

Formats (docs/catalogue-format.md): CSV (`.csv`, UTF-8, one item per row, GTINs
separated by `|`), a JSON document (`.json`) and JSON Lines (`.jsonl`, `.ndjson`).

The import is atomic and keeps the last good catalogue: the new catalogue is built
in `<db>.importing` next to the live file, every row is validated, and only when all
rows are valid does the finished file replace the live one (`os.replace`, then the
directory is fsynced). Any problem raises `CatalogueImportError` listing every
problem as `file:line: field: reason`, and the live catalogue is untouched.

The live catalogue file is never written in place; every change is a new import.
Processes that hold it open see the new catalogue after `CatalogueStore.refresh()`.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import logging
import os
import re
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.domain.barcodes.gtin import check_digit_of
from kiosk.domain.catalogue import LOCALES, AgeLimit, Item, Unit
from kiosk.domain.money import MoneyError, currency
from kiosk.errors import CatalogueError
from kiosk.store.catalogue import CatalogueWriter, Duplicate

log = logging.getLogger(__name__)

JSON_FORMAT = "kiosk-catalogue"
JSON_FORMAT_VERSION = 1

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


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a successful import put live."""

    source: str
    db_path: str
    sha256: str
    currency: str
    items: int
    active_items: int
    gtins: int
    plus: int

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "db_path": self.db_path,
            "sha256": self.sha256,
            "currency": self.currency,
            "items": self.items,
            "active_items": self.active_items,
            "gtins": self.gtins,
            "plus": self.plus,
        }


# --------------------------------------------------------------------------- one record


class _Row:
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


def _shown(name: object) -> str:
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
    check = _Row(source, line)
    for column in row.keys() - _CSV_COLUMN_SET:
        check.fail(_shown(column), f"unknown column; known: {', '.join(CSV_COLUMNS)}")
    return _csv_item([(row.get(c) or "").strip() for c in CSV_COLUMNS], check)


_CSV_COLUMN_SET = frozenset(CSV_COLUMNS)


def _csv_item(values: Sequence[str], check: _Row) -> Item:
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
    check = _Row(source, line)
    if not isinstance(obj, dict):
        check.fail("item", "must be a JSON object")
        raise CatalogueImportError(check.problems)
    for key in obj.keys() - _JSON_KEY_SET:
        check.fail(_shown(key), f"unknown key; known: {', '.join(JSON_ITEM_KEYS)}")
    raw_names = check.json_value(obj, "names", dict, 'an object like {"zh_CN": "…", "en": "…"}')
    names: dict[str, str] = {}
    for locale, name in (raw_names or {}).items():
        if locale not in LOCALES:
            check.fail(f"names.{_shown(locale)}", f"unknown locale; use {' or '.join(LOCALES)}")
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


def _text(check: _Row, field: str, value: str, *, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        check.fail(field, f"longer than {limit} characters")
    elif _CONTROL.search(value):
        check.fail(field, "contains a control character (line break, tab, NUL)")


def _required(check: _Row, field: str, value: object) -> bool:
    """False (after recording "missing" unless the field already failed) if empty."""
    if value is None or value == "":
        if not check.failed(field):
            check.fail(field, "missing")
        return False
    return True


def _item(
    check: _Row,
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


def _gtin_key(check: _Row, code: str) -> str | None:
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


def _weights(check: _Row, unit: Unit, expected: int | None, tolerance: int | None) -> None:
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

# A reader yields (line, Item) for a good record and (line, problems) for a bad one.
_Record = tuple[int, Item | list[ImportProblem]]


def _utf8_lines(stream: Iterable[bytes], where: list[int]) -> Iterator[str]:
    """Decode line by line, so that a bad byte is reported on its own line."""
    for number, raw in enumerate(stream, start=1):
        where[0] = number
        text = raw.decode("utf-8")
        yield text.removeprefix("\ufeff") if number == 1 else text  # Excel's byte-order mark


def _read_csv(path: Path, source: str) -> Iterator[_Record]:
    with path.open("rb") as stream:
        physical = [0]
        reader = csv.reader(_utf8_lines(stream, physical), strict=True)
        positions: list[int] | None = None
        width = 0
        line = 1
        seen_header = False
        try:
            for cells in reader:
                start, line = line, reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if positions is None:
                    seen_header = True
                    header = [cell.strip() for cell in cells]
                    problems = _check_header(header, source, start)
                    if problems:
                        yield start, problems
                    if any(problem.field == "header" for problem in problems):
                        return
                    positions = [header.index(c) if c in header else -1 for c in CSV_COLUMNS]
                    width = len(header)
                    continue
                check = _Row(source, start)
                if len(cells) != width:
                    reason = f"has {len(cells)} fields, the header has {width}"
                    check.fail("row", reason + " (quote fields that contain commas)")
                    yield start, check.problems
                    continue
                values = [cells[i].strip() if i >= 0 else "" for i in positions]
                try:
                    yield start, _csv_item(values, check)
                except CatalogueImportError as exc:
                    yield start, list(exc.problems)
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 ({exc.reason}); save the export as CSV UTF-8"
            yield physical[0], [ImportProblem(source, physical[0], "encoding", reason)]
            return
        except csv.Error as exc:
            yield line, [ImportProblem(source, line, "csv", str(exc))]
            return
        if not seen_header:
            yield 0, [ImportProblem(source, 0, "header", "file is empty")]


def _check_header(header: list[str], source: str, line: int) -> list[ImportProblem]:
    problems = [
        ImportProblem(
            source, line, _shown(column), f"unknown column; known: {', '.join(CSV_COLUMNS)}"
        )
        for column in header
        if column not in _CSV_COLUMN_SET
    ]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    if not any(column in header for column in NAME_COLUMNS.values()):
        missing.append(" or ".join(NAME_COLUMNS.values()))
    if duplicates:
        problems.append(ImportProblem(source, line, "header", f"duplicate columns {duplicates}"))
    if missing:
        problems.append(ImportProblem(source, line, "header", f"missing columns {missing}"))
    return problems


def _read_json_lines(path: Path, source: str) -> Iterator[_Record]:
    with path.open(encoding="utf-8-sig") as stream:
        line = 0
        try:
            for line, text in enumerate(stream, start=1):
                if text.strip():
                    yield line, _json_item(text, source, line)
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 ({exc.reason})"
            yield line + 1, [ImportProblem(source, line + 1, "encoding", reason)]


def _json_item(text: str, source: str, line: int) -> Item | list[ImportProblem]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return [ImportProblem(source, line, "json", exc.msg)]
    return _json_object_item(obj, source, line)


def _json_object_item(obj: object, source: str, line: int) -> Item | list[ImportProblem]:
    try:
        return parse_json_item(obj, source=source, line=line)
    except CatalogueImportError as exc:
        return list(exc.problems)


_WS = re.compile(r"[ \t\n\r]*")


class _JsonScanner:
    """Walks `{"format": ..., "version": ..., "items": [...]}` one item at a time.

    `json.load` gives no line numbers; scanning the top level by hand and decoding each
    item with `raw_decode` tells on which line every item starts.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._decoder = json.JSONDecoder()
        self._line, self._line_pos = 1, 0

    def line(self) -> int:
        self._line += self.text.count("\n", self._line_pos, self.pos)
        self._line_pos = self.pos
        return self._line

    def skip(self) -> str:
        """Skip white space; the next character, or "" at the end."""
        match = _WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
        return self.text[self.pos : self.pos + 1]

    def expect(self, chars: str) -> str:
        found = self.skip()
        if not found or found not in chars:
            what = repr(found) if found else "end of file"
            raise json.JSONDecodeError(
                f"expected one of {chars!r}, found {what}", self.text, self.pos
            )
        self.pos += 1
        return found

    def value(self) -> object:
        self.skip()
        value, self.pos = self._decoder.raw_decode(self.text, self.pos)
        return value


def _read_json_document(path: Path, source: str) -> Iterator[_Record]:
    try:
        scan = _JsonScanner(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield 0, [ImportProblem(source, 0, "encoding", f"not UTF-8 ({exc.reason})")]
        return
    header: dict[str, object] = {}
    seen_items = False
    try:
        scan.expect("{")
        closed = scan.skip() == "}"
        if closed:
            scan.pos += 1
        while not closed:
            key = scan.value()
            if not isinstance(key, str):
                raise json.JSONDecodeError("expected a key string", scan.text, scan.pos)
            scan.expect(":")
            if key == "items":
                seen_items = True
                scan.expect("[")
                end = scan.skip() == "]"
                if end:
                    scan.pos += 1
                index = 0
                while not end:
                    scan.skip()
                    line = scan.line()
                    item = _json_object_item(scan.value(), source, line)
                    if isinstance(item, list):  # name the item too: minified JSON is one line
                        item = [
                            ImportProblem(p.source, p.line, f"items[{index}].{p.field}", p.reason)
                            for p in item
                        ]
                    yield line, item
                    index += 1
                    end = scan.expect(",]") == "]"
            else:
                header[key] = scan.value()
            closed = scan.expect(",}") == "}"
        if scan.skip():
            raise json.JSONDecodeError("extra data after the document", scan.text, scan.pos)
    except json.JSONDecodeError as exc:
        yield exc.lineno, [ImportProblem(source, exc.lineno, "json", exc.msg)]
        return
    problems = [
        ImportProblem(
            source, 1, _shown(key), "unknown top-level key; known: format, version, items"
        )
        for key in sorted(header.keys() - {"format", "version"})
    ]
    if header.get("format") != JSON_FORMAT or header.get("version") != JSON_FORMAT_VERSION:
        reason = f'must say "format": "{JSON_FORMAT}", "version": {JSON_FORMAT_VERSION}'
        problems.append(ImportProblem(source, 1, "format", reason))
    if not seen_items:
        problems.append(ImportProblem(source, 1, "items", "missing"))
    if problems:
        yield 1, problems


_READERS: dict[str, Callable[[Path, str], Iterator[_Record]]] = {
    ".csv": _read_csv,
    ".json": _read_json_document,
    ".jsonl": _read_json_lines,
    ".ndjson": _read_json_lines,
}


def read_catalogue(src: Path) -> Iterator[tuple[int, Item | list[ImportProblem]]]:
    """Every record of an export in order: (line, Item) or (line, its problems).

    Checks each record on its own; uniqueness across records is checked by the import.
    Raises CatalogueImportError if the file cannot be read at all.
    """
    reader = _READERS.get(src.suffix.lower())
    if reader is None:
        reason = f"unknown file type {src.suffix!r}; use {', '.join(_READERS)}"
        raise CatalogueImportError([ImportProblem(src.name, 0, "file", reason)])
    if not src.is_file():
        reason = "does not exist" if not src.exists() else "is not a file"
        raise CatalogueImportError([ImportProblem(str(src), 0, "file", reason)])
    return reader(src, src.name)


# --------------------------------------------------------------------------- import


def import_catalogue(src: Path, db_path: Path, *, currency: str | None = None) -> ImportReport:
    """Validate the export `src` and make it the live catalogue at `db_path`, atomically.

    `currency`, when given, is the store's currency: every item must use it (otherwise
    all items must share the first item's). On any problem raises CatalogueImportError
    (every problem as `file:line: field: reason`) and leaves the live catalogue exactly
    as it was. An export with no items is refused rather than emptying the shop.
    """
    records = read_catalogue(src)
    db_path = db_path.absolute()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    building = db_path.with_name(db_path.name + ".importing")
    summary = f"catalogue import from {src} failed; the live catalogue {db_path} is unchanged"
    with _import_lock(db_path):
        try:
            report = _build(
                src, records, building, db_path=db_path, store_currency=currency, summary=summary
            )
            _quiesce_live(db_path, summary)
            os.replace(building, db_path)
            _fsync_dir(db_path.parent)
        finally:
            building.unlink(missing_ok=True)
    log.info("catalogue imported", extra=report.as_json())
    return report


@contextlib.contextmanager
def _import_lock(db_path: Path) -> Iterator[None]:
    """One import at a time per catalogue; the lock dies with its process."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            reason = f"another import into {db_path} is running; try again when it ends"
            raise CatalogueImportError(
                [ImportProblem(str(db_path), 0, "lock", reason)], summary="import refused"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _Problems:
    """Every problem of an import, keeping the first MAX_PROBLEMS_KEPT."""

    def __init__(self) -> None:
        self.kept: list[ImportProblem] = []
        self.total = 0

    def add(self, problems: Sequence[ImportProblem]) -> None:
        self.total += len(problems)
        self.kept.extend(problems[: MAX_PROBLEMS_KEPT - len(self.kept)])


def _build(
    src: Path,
    records: Iterator[_Record],
    building: Path,
    *,
    db_path: Path,
    store_currency: str | None,
    summary: str,
) -> ImportReport:
    problems = _Problems()
    items = active = gtins = plus = 0
    lines = array("q")  # the export line of each key; keys count from 1
    catalogue_currency: tuple[str, int] | None = None
    # Every good item goes in, even after a bad one: the unique indexes then find every
    # duplicate. The file is thrown away if anything is wrong.
    writer = CatalogueWriter(building)
    try:
        for line, record in records:
            if not isinstance(record, Item):
                problems.add(record)
                continue
            item = record
            if store_currency is not None and item.currency != store_currency:
                reason = f"{item.currency} is not the store currency {store_currency}"
                problems.add([ImportProblem(src.name, line, "currency", reason)])
            elif catalogue_currency is None:
                catalogue_currency = (item.currency, line)
            elif item.currency != catalogue_currency[0]:
                first, first_line = catalogue_currency
                reason = f"{item.currency} differs from {first} on line {first_line}"
                problems.add([ImportProblem(src.name, line, "currency", reason)])
            items += 1
            writer.add(item, items)
            lines.append(line)
            active += item.active
            gtins += len(item.gtins)
            plus += item.plu is not None
        if not items and not problems.total:
            reason = "has no items; refusing to replace the catalogue with an empty one"
            problems.add([ImportProblem(src.name, 0, "items", reason)])
        sha256 = _sha256(src)
        meta = {
            "source": src.name,
            "sha256": sha256,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "currency": catalogue_currency[0] if catalogue_currency else "",
            "items": str(items),
        }
        duplicates = writer.finish(meta)
        problems.add([_duplicate_problem(src.name, d, lines) for d in duplicates])
        if problems.total:
            problems.kept.sort(key=lambda problem: problem.line)
            raise CatalogueImportError(problems.kept, total=problems.total, summary=summary)
    except BaseException:
        writer.discard()
        raise
    return ImportReport(
        source=str(src),
        db_path=str(db_path),
        sha256=sha256,
        currency=meta["currency"],
        items=items,
        active_items=active,
        gtins=gtins,
        plus=plus,
    )


def _duplicate_problem(source: str, duplicate: Duplicate, lines: array[int]) -> ImportProblem:
    value = duplicate.value
    if duplicate.field == "gtins":
        value = f"GTIN {value.removeprefix('0')}"
    reason = f"{value} is also on line {lines[duplicate.first_key - 1]}"
    return ImportProblem(source, lines[duplicate.key - 1], duplicate.field, reason)


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _quiesce_live(db_path: Path, summary: str) -> None:
    """Make sure no write-ahead log of the old file can be replayed into the new one.

    SQLite finds a WAL by file name, not by inode: frames left in `<db>-wal` by a crashed
    writer would be applied to whatever file is called `<db>` next. The live catalogue is
    never written in place, so its WAL is normally empty; checkpoint it to be sure.
    """
    wal = db_path.with_name(db_path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot checkpoint the live catalogue", extra={"error": str(exc)})
    if wal.exists() and wal.stat().st_size > 0:
        reason = (
            f"{wal} holds writes another process has not checkpointed; stop the kiosk "
            "processes using the catalogue and import again"
        )
        raise CatalogueImportError([ImportProblem(str(db_path), 0, "wal", reason)], summary=summary)


def _fsync_dir(directory: Path) -> None:
    """Persist a rename: the new directory entry is durable only once the directory is."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
