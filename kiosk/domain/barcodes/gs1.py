"""GS1 element strings (GS1-128, DataBar, GS1 DataMatrix/QR): split, validate, interpret.

biip supplies the table of ~540 Application Identifiers (format, pattern, whether FNC1
must end the field). Splitting and interpretation are ours because biip's
`GS1Message.parse` (a) reports a bad field as "Failed to match '172513…' with GS1 AI (17)
pattern '^17(…)$'" where we must say "AI 17: month 13 out of range", (b) reads the wall
clock to pick the century of a date (domain code takes time as an argument), and (c)
lets an over-long variable field run into the next AI instead of rejecting it.

biip is imported on the first lookup of an AI, not with this module: it costs ~22 MB of
resident memory (bench/README.md, UI), and a kiosk whose shoppers scan only EAN/UPC
codes never needs it.

PROTOCOLS.md, GS1: FNC1 is transmitted as GS (0x1D) and ends a variable-length field;
fixed lengths 01 (14), 11/15/17 (6, YYMMDD, day 00 = end of month), 310n/320n (6, n
decimals); variable 10 and 21 (≤ 20), 30 (≤ 8), 392n (≤ 15), 393n (ISO 4217 numeric
currency + ≤ 15).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from kiosk.domain.barcodes.errors import Rejected
from kiosk.domain.barcodes.gtin import verify_check_digit
from kiosk.domain.money import CURRENCIES, Rounding

if TYPE_CHECKING:
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

GS = "\x1d"
DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
_GRAMS_PER_POUND = Fraction(45359237, 100000)  # 1 lb = 453.59237 g exactly
_CURRENCY_BY_NUMERIC = {c.numeric: c.code for c in CURRENCIES.values()}
_SIMPLE_FORMAT = re.compile(r"([NX])(\d+)?(?:\.\.(\d+))?")
_GS1_CHAR = re.compile(r"[!%-?A-Z_a-z\x22]")  # GS1 AI encodable character set 82


@dataclass(frozen=True, slots=True)
class Gs1Fields:
    """What a GS1 message or Digital Link says, interpreted."""

    ai: dict[str, str] = field(default_factory=dict)
    gtin: str | None = None
    weight_g: int | None = None
    price_minor: int | None = None
    count: int | None = None
    expiry: date | None = None
    best_before: date | None = None
    lot: str | None = None
    serial: str | None = None


@lru_cache(maxsize=4096)
def _ai_at(head: str) -> GS1ApplicationIdentifier | None:
    # biip's lookup scans its whole table; AIs are prefix-free, so 4 characters decide.
    from biip import ParseError  # noqa: PLC0415 - lazy: see the module docstring
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier  # noqa: PLC0415

    try:
        return GS1ApplicationIdentifier.extract(head)
    except ParseError:
        return None


def known_ai(code: str) -> GS1ApplicationIdentifier | None:
    """The AI spelled exactly `code` ("17", "3103"), if GS1 defines it."""
    ai = _ai_at(code[:4])
    return ai if ai is not None and ai.ai == code else None


@lru_cache(maxsize=1024)
def _fixed_length(ai: GS1ApplicationIdentifier) -> int | None:
    # AIs without FNC1 after them are the predefined-length ones (all plain "N6" parts).
    if ai.separator_required:
        return None
    return sum(int(part[1:]) for part in ai.format.split("+")[1:])


@lru_cache(maxsize=1024)
def _compiled(ai: GS1ApplicationIdentifier) -> re.Pattern[str]:
    return re.compile(ai.pattern)


def _clip(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def split_element_string(data: str) -> list[tuple[str, str]]:
    """Split GS1 element strings into (AI, value) pairs, each validated against its format.

    GS characters between fields are accepted anywhere (GenSpecs 7.8.6); a variable-length
    field runs to the next GS or the end and is rejected when longer than its maximum.
    """
    pairs: list[tuple[str, str]] = []
    position, length = 0, len(data)
    while position < length:
        if data[position] == GS:
            position += 1
            continue
        ai = _ai_at(data[position : position + 4])
        if ai is None:
            raise Rejected(
                f"no GS1 application identifier at position {position + 1} "
                f"({_clip(data[position : position + 4])!r})"
            )
        start = position + len(ai.ai)
        fixed = _fixed_length(ai)
        if fixed is not None:
            end = start + fixed
            value = data[start:end].split(GS, 1)[0]
            if len(value) < fixed:
                raise Rejected(f"AI {ai.ai}: expected {fixed} digits, got {len(value)}")
        else:
            end = data.find(GS, start)
            end = length if end < 0 else end
            value = data[start:end]
        validate_element(ai, value)
        pairs.append((ai.ai, value))
        position = end
    if not pairs:
        raise Rejected("no GS1 element strings")
    return pairs


def validate_element(ai: GS1ApplicationIdentifier, value: str) -> None:
    """Raise Rejected with a precise reason unless `value` fits the AI's format."""
    code = ai.ai
    if not value:
        raise Rejected(f"AI {code}: empty value")
    if not value.isascii():  # biip's patterns use \d, which also matches '٣'
        bad = next(c for c in value if not c.isascii())
        raise Rejected(f"AI {code}: character {bad!r} is not allowed in GS1 data")
    if code in DATE_AIS:
        _check_date_digits(code, value)
        return
    if not _compiled(ai).fullmatch(code + value):
        raise Rejected(_diagnose(ai, value))


def _check_date_digits(code: str, value: str) -> None:
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        raise Rejected(f"AI {code}: expected a date YYMMDD, got {_clip(value)!r}")
    month, day = int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        raise Rejected(f"AI {code}: month {month} out of range")
    if day > 31:
        raise Rejected(f"AI {code}: day {day} out of range")


def _diagnose(ai: GS1ApplicationIdentifier, value: str) -> str:
    code, data_format = ai.ai, ai.format.split("+", 1)[1]
    simple = _SIMPLE_FORMAT.fullmatch(data_format)
    if simple:
        kind, exact, most = simple.groups()
        is_digits = value.isascii() and value.isdigit()
        if most is not None and len(value) > int(most):
            return f"AI {code}: {len(value)} characters, at most {most}"
        if exact is not None and most is None and len(value) != int(exact):
            return f"AI {code}: expected {exact} characters, got {len(value)}"
        if kind == "N" and not is_digits:
            return f"AI {code}: expected digits, got {_clip(value)!r}"
        bad = next((c for c in value if not _GS1_CHAR.fullmatch(c)), None)
        if bad is not None:
            return f"AI {code}: character {bad!r} is not allowed in GS1 data"
    return f"AI {code}: {_clip(value)!r} does not fit the GS1 format {data_format}"


def resolve_year(two_digits: int, today: date | None) -> int:
    """Century of a YY date (GS1 GenSpecs 7.12: from 49 years back to 50 ahead of today).
    Without `today` (pure callers that have no clock at hand) YY means 20YY."""
    if today is None:
        return 2000 + two_digits
    century = today.year - today.year % 100
    difference = two_digits - today.year % 100
    if 51 <= difference <= 99:
        return century - 100 + two_digits
    if -99 <= difference <= -50:
        return century + 100 + two_digits
    return century + two_digits


def _date(code: str, value: str, today: date | None) -> date:
    year = resolve_year(int(value[0:2]), today)
    month, day = int(value[2:4]), int(value[4:6])
    last = calendar.monthrange(year, month)[1]
    if day == 0:  # "day 00 = end of month" (PROTOCOLS.md, GS1)
        return date(year, month, last)
    if day > last:
        raise Rejected(f"AI {code}: day {day} out of range for {year}-{month:02d}")
    return date(year, month, day)


def _amount(digits: str, decimals: int, exponent: int) -> int:
    """Major units with `decimals` decimals -> minor units, half up past the exponent."""
    return Rounding.HALF_UP.apply(Fraction(int(digits) * 10**exponent, 10**decimals))


def interpret(
    pairs: Iterable[tuple[str, str]], *, currency: str, exponent: int, today: date | None
) -> Gs1Fields:
    """Turn validated (AI, value) pairs into fields. kg (310n) wins over lb (320n) and
    392n over 393n when a label carries both; a repeated AI must repeat its value."""
    ai: dict[str, str] = {}
    for code, value in pairs:
        if ai.setdefault(code, value) != value:
            raise Rejected(f"AI {code} appears twice with different values")
    dates: dict[str, date] = {}
    grams: dict[str, int] = {}
    minor: dict[str, int] = {}
    count = None
    for code, value in ai.items():
        if code == "01":
            verify_check_digit(value, "AI 01: check digit")
        elif code in DATE_AIS:
            dates[code] = _date(code, value, today)
        elif code == "30":
            count = int(value)
        elif code[:3] == "310":
            grams.setdefault("kg", _amount(value, int(code[3]), 3))
        elif code[:3] == "320":
            pounds = Fraction(int(value), 10 ** int(code[3]))
            grams.setdefault("lb", Rounding.HALF_UP.apply(pounds * _GRAMS_PER_POUND))
        elif code[:3] == "392":
            minor.setdefault("392", _amount(value, int(code[3]), exponent))
        elif code[:3] == "393":
            minor.setdefault("393", _price_in_currency(code, value, currency, exponent))
    return Gs1Fields(
        ai=ai,
        gtin=ai.get("01"),
        weight_g=grams.get("kg", grams.get("lb")),
        price_minor=minor.get("392", minor.get("393")),
        count=count,
        expiry=dates.get("17"),
        best_before=dates.get("15"),
        lot=ai.get("10"),
        serial=ai.get("21"),
    )


def _price_in_currency(code: str, value: str, currency: str, exponent: int) -> int:
    numeric = int(value[:3])
    if _CURRENCY_BY_NUMERIC.get(numeric) != currency:
        name = _CURRENCY_BY_NUMERIC.get(numeric, "unknown")
        raise Rejected(
            f"AI {code}: price in currency {value[:3]} ({name}), the store takes {currency}"
        )
    return _amount(value[3:], int(code[3]), exponent)
