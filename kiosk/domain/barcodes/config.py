"""`BarcodeConfig`: the store's barcode settings, parsed once and validated (STYLE.md).

The `[barcodes]` table of the kiosk config, all keys optional:

    currency = "CNY"                    # store currency: scale-label and AI 392n/393n prices
    member_patterns = ["M[0-9]{6,16}"]  # full-match regexes; a group named `id` picks the id
    member_url_prefixes = ["https://vip.example.cn/m/"]

    [barcodes.payment_codes]            # provider = full-match regex; replaces the defaults
    wechat = "1[0-5][0-9]{16}"
    alipay = "(2[5-9]|30)[0-9]{14,22}"
    unionpay = "62[0-9]{17}"

    [[barcodes.variable_measure]]       # scale-label layouts; the list replaces the defaults
    pattern = "FFIIIIIPPPPPC"           # letters: see kiosk.domain.barcodes.variable_measure
    prefixes = ["20-29"]                # flags; "20-29" is a range of equal-length flags
    price_decimals = 2                  # decimals of the price in major units (fen: 2)
    weight_decimals = 3                 # decimals of the weight in kg (grams: 3)
    verifier_covers = "price"           # only if the pattern has a V and it is ambiguous
    name = "deli counter"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from kiosk.domain.barcodes.codes import DEFAULT_MEMBER_PATTERNS, DEFAULT_PAYMENT_CODES
from kiosk.domain.barcodes.errors import BarcodeConfigError
from kiosk.domain.barcodes.variable_measure import DEFAULT_SCALE_LAYOUTS, ScaleLabelLayout
from kiosk.domain.money import CURRENCIES

_PROVIDER = re.compile(r"[a-z][a-z0-9_]{0,31}")
_TOP_KEYS = (
    "currency",
    "member_patterns",
    "member_url_prefixes",
    "payment_codes",
    "variable_measure",
)
_LAYOUT_KEYS = (
    "name",
    "pattern",
    "prefixes",
    "price_decimals",
    "verifier_covers",
    "weight_decimals",
)


@dataclass(frozen=True, slots=True)
class BarcodeConfig:
    """How this store's barcodes are read. Defaults suit a Chinese supermarket (CNY,
    13/18-digit scale labels, WeChat/Alipay/UnionPay codes) and a European store
    needs at most `currency` and its label layouts. Invalid values raise
    `BarcodeConfigError` (a `kiosk.errors.ConfigError`) naming the key."""

    currency: str = "CNY"
    variable_measure: tuple[ScaleLabelLayout, ...] = DEFAULT_SCALE_LAYOUTS
    payment_codes: tuple[tuple[str, str], ...] = DEFAULT_PAYMENT_CODES
    member_patterns: tuple[str, ...] = DEFAULT_MEMBER_PATTERNS
    member_url_prefixes: tuple[str, ...] = ()
    payment_regexes: tuple[tuple[str, re.Pattern[str]], ...] = field(
        init=False, repr=False, compare=False
    )
    member_regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    currency_exponent: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise BarcodeConfigError(
                "currency",
                f"{self.currency!r} is not a supported currency ({', '.join(sorted(CURRENCIES))})",
            )
        exponent = CURRENCIES[self.currency].exponent
        object.__setattr__(self, "currency_exponent", exponent)
        self._check_layouts(exponent)
        payment: list[tuple[str, re.Pattern[str]]] = []
        for provider, regex in self.payment_codes:
            key = f"payment_codes.{provider}"
            if not isinstance(provider, str) or not _PROVIDER.fullmatch(provider):
                raise BarcodeConfigError(
                    key, "provider names are lowercase letters, digits and _ (e.g. 'wechat')"
                )
            if provider in (p for p, _ in payment):
                raise BarcodeConfigError(key, "provider listed twice")
            payment.append((provider, _compile(regex, key)))
        object.__setattr__(self, "payment_regexes", tuple(payment))
        members = tuple(
            _compile(regex, f"member_patterns[{i}]") for i, regex in enumerate(self.member_patterns)
        )
        object.__setattr__(self, "member_regexes", members)
        for i, prefix in enumerate(self.member_url_prefixes):
            if (
                not isinstance(prefix, str)
                or not prefix
                or not prefix.isprintable()
                or " " in prefix
            ):
                raise BarcodeConfigError(
                    f"member_url_prefixes[{i}]", f"{prefix!r} is not a URL prefix"
                )
        self._check_collisions()

    def _check_layouts(self, exponent: int) -> None:
        seen: dict[tuple[int, str], int] = {}
        for i, layout in enumerate(self.variable_measure):
            if not isinstance(layout, ScaleLabelLayout):
                raise BarcodeConfigError(f"variable_measure[{i}]", "is not a scale-label layout")
            if layout.price_decimals > exponent:
                raise BarcodeConfigError(
                    f"variable_measure[{i}].price_decimals",
                    f"{layout.price_decimals} is more than {self.currency} has "
                    f"({exponent}); use 0..{exponent}",
                )
            for prefix in layout.prefixes:
                other = seen.setdefault((layout.length, prefix), i)
                if other != i:
                    raise BarcodeConfigError(
                        f"variable_measure[{i}].prefixes",
                        f"{layout.length}-digit flag {prefix!r} is already used by "
                        f"variable_measure[{other}]",
                    )

    def _check_collisions(self) -> None:
        """A label flag that payment or member patterns also match would make the same
        scan two things: stop at start-up rather than sell or charge the wrong one.
        Checked on probe labels (the flag followed by one repeated digit)."""
        for i, layout in enumerate(self.variable_measure):
            for prefix in layout.prefixes:
                fill = layout.length - len(prefix)
                probes = [prefix + digit * fill for digit in "0123456789"]
                for provider, regex in self.payment_regexes:
                    if any(regex.fullmatch(probe) for probe in probes):
                        raise BarcodeConfigError(
                            f"variable_measure[{i}].prefixes",
                            f"{layout.length}-digit labels with flag {prefix!r} also match the "
                            f"{provider} payment-code pattern; use another flag or narrow "
                            f"payment_codes.{provider}",
                        )
                for j, regex in enumerate(self.member_regexes):
                    if any(regex.fullmatch(probe) for probe in probes):
                        raise BarcodeConfigError(
                            f"variable_measure[{i}].prefixes",
                            f"{layout.length}-digit labels with flag {prefix!r} also match "
                            f"member_patterns[{j}]",
                        )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object], source: str) -> BarcodeConfig:
        """Build from the `[barcodes]` table of a config file (`source` names the file).

        Raises `kiosk.errors.ConfigError` naming source, key and problem for unknown
        keys, wrong types and out-of-range values.
        """
        try:
            return cls(**_settings(mapping))
        except BarcodeConfigError as exc:
            raise BarcodeConfigError(exc.key, exc.problem, source) from None


def _compile(regex: object, key: str) -> re.Pattern[str]:
    if not isinstance(regex, str) or not regex:
        raise BarcodeConfigError(key, f"{regex!r} is not a regular expression")
    try:
        return re.compile(regex)
    except re.error as exc:
        raise BarcodeConfigError(
            key, f"{regex!r} is not a valid regular expression: {exc}"
        ) from None


class _Settings(TypedDict, total=False):
    currency: str
    variable_measure: tuple[ScaleLabelLayout, ...]
    payment_codes: tuple[tuple[str, str], ...]
    member_patterns: tuple[str, ...]
    member_url_prefixes: tuple[str, ...]


def _settings(mapping: object) -> _Settings:
    table = _table(mapping, "", _TOP_KEYS)
    kwargs: _Settings = {}
    if "currency" in table:
        kwargs["currency"] = _text(table["currency"], "currency")
    if "member_patterns" in table:
        kwargs["member_patterns"] = _texts(table["member_patterns"], "member_patterns")
    if "member_url_prefixes" in table:
        kwargs["member_url_prefixes"] = _texts(table["member_url_prefixes"], "member_url_prefixes")
    if "payment_codes" in table:
        codes = _table(table["payment_codes"], "payment_codes", None)
        kwargs["payment_codes"] = tuple(
            (provider, _text(regex, f"payment_codes.{provider}"))
            for provider, regex in codes.items()
        )
    if "variable_measure" in table:
        layouts = table["variable_measure"]
        if not isinstance(layouts, list):
            raise BarcodeConfigError(
                "variable_measure", "must be a list of tables ([[barcodes.variable_measure]])"
            )
        kwargs["variable_measure"] = tuple(_layout(item, i) for i, item in enumerate(layouts))
    return kwargs


def _layout(item: object, index: int) -> ScaleLabelLayout:
    where = f"variable_measure[{index}]"
    table = _table(item, where, _LAYOUT_KEYS)
    for required in ("pattern", "prefixes"):
        if required not in table:
            raise BarcodeConfigError(f"{where}.{required}", "is required")
    covers = table.get("verifier_covers")
    try:
        return ScaleLabelLayout(
            pattern=_text(table["pattern"], "pattern"),
            prefixes=_flags(table["prefixes"], "prefixes"),
            weight_decimals=_whole(table.get("weight_decimals", 3), "weight_decimals"),
            price_decimals=_whole(table.get("price_decimals", 2), "price_decimals"),
            verifier_covers=None if covers is None else _text(covers, "verifier_covers"),
            name=_text(table.get("name", ""), "name"),
        )
    except BarcodeConfigError as exc:
        raise BarcodeConfigError(f"{where}.{exc.key}", exc.problem) from None


def _whole(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BarcodeConfigError(key, f"{value!r} is not a whole number")
    return value


def _table(value: object, key: str, known: tuple[str, ...] | None) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise BarcodeConfigError(key or "(table)", f"must be a table, got {type(value).__name__}")
    for name in value:
        if not isinstance(name, str):
            raise BarcodeConfigError(key or "(table)", f"key {name!r} is not text")
        if known is not None and name not in known:
            where = f"{key}.{name}" if key else name
            raise BarcodeConfigError(where, f"unknown key (known: {', '.join(known)})")
    return value


def _text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise BarcodeConfigError(key, f"{value!r} is not text")
    return value


def _texts(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BarcodeConfigError(key, f"{value!r} is not a list of texts")
    return tuple(_text(item, f"{key}[{i}]") for i, item in enumerate(value))


def _flags(value: object, key: str) -> tuple[str, ...]:
    """Flags as texts; "20-29" expands to the equal-length flags 20, 21, …, 29."""
    flags: list[str] = []
    for i, item in enumerate(_texts(value, key)):
        low, dash, high = item.partition("-")
        if not dash:
            flags.append(item)
            continue
        if not (low.isascii() and low.isdigit() and high.isascii() and high.isdigit()):
            raise BarcodeConfigError(f"{key}[{i}]", f"{item!r} is not a range like '20-29'")
        if len(low) != len(high) or int(low) > int(high):
            raise BarcodeConfigError(
                f"{key}[{i}]", f"{item!r}: a range needs equal-length bounds, low to high"
            )
        flags.extend(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
    return tuple(flags)
