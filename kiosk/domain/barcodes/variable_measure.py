"""Store scale labels (variable-measure, restricted-circulation numbers): per-store layouts.

Written by hand: biip's `Rcn` knows only the national rules of some European countries,
not Chinese deli/produce scale labels (大华 Dahua, 顶尖 Aclas, 容大 Rongta …), whose layout
each store sets on its scales (PROTOCOLS.md, GS1: "the layout must be configurable per
store"). A layout is written the way scale manuals print it, one letter per digit:

    F  flag (the prefix: 02, 20–29 …)     I  item code / PLU (货号)
    W  weight                             P  price (total amount, 金额)
    Q  count of pieces (计件)               V  price/weight verifier (GS1 GenSpecs 7.9.2–7.9.4)
    X  digit to ignore                    C  check digit of the whole label (GS1 mod 10, last)

Common labels: 13 digits `FFIIIIIPPPPPC` (flag, item 5, price 5, check; weight instead
of price on some scales), 18 digits `FFIIIIIWWWWWPPPPPC` (flag, item, weight, price,
check; some back-office software swaps weight and price: `FFIIIIIPPPPPWWWWWC`), European
price labels with a verifier `FFIIIIVPPPPPC`. A 12-digit UPC-A label (number system 2)
is matched as its 13-digit form with a leading 0, so its flag is "02".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from kiosk.domain.barcodes.errors import BarcodeConfigError, Rejected
from kiosk.domain.barcodes.gtin import check_digit_of, verify_check_digit
from kiosk.domain.money import Rounding

LABEL_LENGTHS = (13, 18)
# GenSpecs 7.9.2 weighting factors, indexed by the digit: 2-, 3, 5+ and 5-.
_TWO_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_THREE = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)
_FIVE_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_FIVE_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)
_FOUR_DIGIT_WEIGHTS = (_TWO_MINUS, _TWO_MINUS, _THREE, _FIVE_MINUS)  # GenSpecs 7.9.3
_FIVE_DIGIT_WEIGHTS = (_FIVE_PLUS, _TWO_MINUS, _FIVE_MINUS, _FIVE_PLUS, _TWO_MINUS)  # 7.9.4
_PATTERN_LETTERS = frozenset("FIWPQVXC")
_RUN = re.compile(r"(.)\1*")


def price_weight_check_digit(field: str) -> int:
    """The verifier digit of a 4- or 5-digit price/weight field (GenSpecs 7.9.2-7.9.4).

    ValueError for anything else, as biip's `gs1_price_weight_check_digit` raises. By
    hand rather than from biip for the reason in `kiosk.domain.barcodes.gtin` (biip
    costs ~22 MB of resident memory); property-tested against biip for every input.
    """
    if not field.isdecimal() or len(field) not in (4, 5):
        raise ValueError(f"price/weight verifier: expected 4 or 5 digits, got {field!r}")
    digits = map(int, field)
    if len(field) == 4:
        return sum(w[d] for w, d in zip(_FOUR_DIGIT_WEIGHTS, digits, strict=True)) * 3 % 10
    total = sum(w[d] for w, d in zip(_FIVE_DIGIT_WEIGHTS, digits, strict=True))
    return _FIVE_MINUS.index(-total % 10)


@dataclass(frozen=True, slots=True)
class LabelFields:
    """What a scale label says."""

    item_code: str
    weight_g: int | None
    price_minor: int | None
    count: int | None


@dataclass(frozen=True, slots=True)
class ScaleLabelLayout:
    """One scale-label layout: which digits mean what, and for which flags.

    `weight_decimals` is the number of decimals of the weight in kg (3: the digits are
    grams); `price_decimals` the decimals of the price in major units (2: fen/cents).
    `verifier_covers` ("price" or "weight") is needed only when the pattern has a V
    and both a 4–5 digit price and weight field.
    """

    pattern: str
    prefixes: tuple[str, ...]
    weight_decimals: int = 3
    price_decimals: int = 2
    verifier_covers: str | None = None
    name: str = ""
    _spans: dict[str, slice] = field(init=False, repr=False, compare=False, hash=False)
    _verified: slice | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        spans = _spans_of(self.pattern)
        flag = spans["F"]
        for prefix in self.prefixes:
            if not (isinstance(prefix, str) and prefix.isascii() and prefix.isdigit()):
                raise BarcodeConfigError("prefixes", f"flag {prefix!r} is not digits")
            if len(prefix) != flag.stop:
                raise BarcodeConfigError(
                    "prefixes",
                    f"flag {prefix!r} has {len(prefix)} digits, the pattern's F has {flag.stop}",
                )
        if not self.prefixes:
            raise BarcodeConfigError("prefixes", "at least one flag is needed")
        for key in ("weight_decimals", "price_decimals"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
                raise BarcodeConfigError(key, f"{value!r} is not a whole number 0..6")
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(self, "_verified", self._verifier_target(spans))

    def _verifier_target(self, spans: dict[str, slice]) -> slice | None:
        if "V" not in spans:
            if self.verifier_covers is not None:
                raise BarcodeConfigError("verifier_covers", "the pattern has no V digit")
            return None
        if spans["V"].stop - spans["V"].start != 1:
            raise BarcodeConfigError("pattern", "the verifier V is one digit")
        candidates = {
            name: spans[letter]
            for name, letter in (("price", "P"), ("weight", "W"))
            if letter in spans and spans[letter].stop - spans[letter].start in (4, 5)
        }
        if self.verifier_covers is not None:
            if self.verifier_covers not in ("price", "weight"):
                raise BarcodeConfigError(
                    "verifier_covers", f"{self.verifier_covers!r} is not 'price' or 'weight'"
                )
            if self.verifier_covers not in candidates:
                raise BarcodeConfigError(
                    "verifier_covers",
                    f"no 4- or 5-digit {self.verifier_covers} field for the verifier to cover",
                )
            return candidates[self.verifier_covers]
        if len(candidates) != 1:
            raise BarcodeConfigError(
                "verifier_covers",
                "say which field the V digit covers ('price' or 'weight'): "
                "it needs exactly one 4- or 5-digit field",
            )
        return next(iter(candidates.values()))

    @property
    def length(self) -> int:
        return len(self.pattern)

    @property
    def value_letters(self) -> set[str]:
        """Which of W (weight), P (price), Q (count) the layout carries."""
        return {"W", "P", "Q"} & self._spans.keys()

    def encode(
        self,
        item_code: str,
        *,
        weight_g: int | None = None,
        price_minor: int | None = None,
        count: int | None = None,
        flag: str | None = None,
        currency_exponent: int = 2,
    ) -> str:
        """The label digits for these values: the inverse of `decode`.

        Raises ValueError when a value the layout carries is missing, does not fit its
        field, or has more precision than the field (e.g. 0.5 g in a gram field).
        """
        spans = self._spans
        digits = ["0"] * len(self.pattern)

        def put(letter: str, value: int | str | None, what: str) -> None:
            if letter not in spans:
                if value is not None:
                    raise ValueError(f"layout {self.pattern!r} has no {what} field")
                return
            if value is None:
                raise ValueError(f"layout {self.pattern!r} needs a {what}")
            span = spans[letter]
            text = str(value).zfill(span.stop - span.start)
            if len(text) != span.stop - span.start or not text.isdigit():
                raise ValueError(f"{what} {value!r} does not fit {span.stop - span.start} digits")
            digits[span] = text

        flag = self.prefixes[0] if flag is None else flag
        if flag not in self.prefixes:
            raise ValueError(f"flag {flag!r} is not one of {self.prefixes}")
        put("F", flag, "flag")
        put("I", item_code, "item code")
        put("W", _unscaled(weight_g, 3 - self.weight_decimals, "weight_g"), "weight")
        put("P", _unscaled(price_minor, currency_exponent - self.price_decimals, "price"), "price")
        put("Q", count, "count")
        if self._verified is not None:
            verifier = price_weight_check_digit("".join(digits[self._verified]))
            digits[spans["V"]] = [str(verifier)]
        payload = "".join(digits[:-1])
        return payload + str(check_digit_of(payload))

    def matches(self, digits: str) -> bool:
        """True when `digits` has this layout's length and one of its flags."""
        return len(digits) == len(self.pattern) and digits.startswith(self.prefixes)

    def decode(self, digits: str, currency_exponent: int) -> LabelFields:
        """Read a label that `matches`; Rejected when a check or verifier digit is wrong."""
        verify_check_digit(digits)
        spans = self._spans
        if self._verified is not None:
            covered = digits[self._verified]
            expected = price_weight_check_digit(covered)
            got = digits[spans["V"]]
            if int(got) != expected:
                what = "price" if "P" in spans and spans["P"] == self._verified else "weight"
                raise Rejected(f"{what} verifier digit should be {expected}, got {got}")
        weight_g = price_minor = count = None
        if "W" in spans:
            # kg with `weight_decimals` decimals -> grams; round half up below 1 g.
            weight_g = _scaled(int(digits[spans["W"]]), 3 - self.weight_decimals)
        if "P" in spans:
            price_minor = _scaled(int(digits[spans["P"]]), currency_exponent - self.price_decimals)
        if "Q" in spans:
            count = int(digits[spans["Q"]])
        return LabelFields(digits[spans["I"]], weight_g, price_minor, count)


def _unscaled(value: int | None, exponent: int, what: str) -> int | None:
    """The field value that `_scaled` turns into `value`; ValueError if there is none."""
    if value is None:
        return None
    if exponent <= 0:
        return value * int(10**-exponent)
    field_value, rest = divmod(value, 10**exponent)
    if rest:
        raise ValueError(f"{what} {value} has more precision than the label field")
    return int(field_value)


def _scaled(value: int, exponent: int) -> int:
    """value × 10^exponent as a whole number, rounding half up (money.Rounding)."""
    if exponent >= 0:
        return value * int(10**exponent)
    return Rounding.HALF_UP.apply(Fraction(value, 10**-exponent))


def _spans_of(pattern: object) -> dict[str, slice]:
    if not isinstance(pattern, str):
        raise BarcodeConfigError("pattern", f"{pattern!r} is not a text like 'FFIIIIIPPPPPC'")
    if len(pattern) not in LABEL_LENGTHS:
        raise BarcodeConfigError(
            "pattern", f"{pattern!r} has {len(pattern)} digits; scale labels have 13 or 18"
        )
    unknown = sorted(set(pattern) - _PATTERN_LETTERS)
    if unknown:
        raise BarcodeConfigError(
            "pattern", f"{pattern!r}: unknown letters {''.join(unknown)!r} (use F I W P Q V X C)"
        )
    spans: dict[str, slice] = {}
    position = 0
    for run in _RUN.finditer(pattern):
        letter = run.group(1)
        if letter in spans and letter != "X":
            raise BarcodeConfigError(
                "pattern", f"{pattern!r}: the {letter} digits must be one contiguous run"
            )
        spans.setdefault(letter, slice(position, run.end()))
        position = run.end()
    if not pattern.startswith("F"):
        raise BarcodeConfigError("pattern", f"{pattern!r} must start with the flag F")
    if spans.get("C") != slice(len(pattern) - 1, len(pattern)):
        raise BarcodeConfigError("pattern", f"{pattern!r} must end with one check digit C")
    if "I" not in spans:
        raise BarcodeConfigError("pattern", f"{pattern!r} has no item code I")
    if not {"W", "P", "Q"} & spans.keys():
        raise BarcodeConfigError("pattern", f"{pattern!r} has no weight W, price P or count Q")
    return spans


# Flags 02 and 20–29 are GS1 restricted-circulation prefixes (PROTOCOLS.md, GS1).
_FLAGS_13 = (*(str(flag) for flag in range(20, 30)), "02")
# 18-digit labels are Code 128 like Alipay codes, which are 16–24 digits starting 25–30:
# an 18-digit label with flag 25–29 cannot be told apart from one, so the default
# 18-digit flags stop at 24 (a store that prints 26… labels must narrow its Alipay pattern).
_FLAGS_18 = ("20", "21", "22", "23", "24")

DEFAULT_SCALE_LAYOUTS: tuple[ScaleLabelLayout, ...] = (
    ScaleLabelLayout("FFIIIIIPPPPPC", _FLAGS_13, name="13-digit price label"),
    ScaleLabelLayout("FFIIIIIWWWWWPPPPPC", _FLAGS_18, name="18-digit weight and price label"),
)


def variable_measure_label(
    item_code: str,
    weight_g: int | None = None,
    price_minor: int | None = None,
    *,
    count: int | None = None,
    layout: ScaleLabelLayout | None = None,
    flag: str | None = None,
    currency_exponent: int = 2,
) -> str:
    """Print a scale label's digits, as a scale would (for simulators, tests, drills).

    Without `layout`, the first default layout whose fields are exactly the values
    given: price only -> 13 digits, weight and price -> 18 digits. There is no default
    weight-only layout (Chinese 13-digit labels carry the amount); pass one. `flag`
    defaults to the layout's first. Raises ValueError when the values do not fit.
    """
    given = {
        letter
        for letter, value in (("W", weight_g), ("P", price_minor), ("Q", count))
        if value is not None
    }
    if layout is None:
        layout = next((lay for lay in DEFAULT_SCALE_LAYOUTS if lay.value_letters == given), None)
        if layout is None:
            raise ValueError(
                f"no default scale-label layout carries exactly {sorted(given)}; pass a layout"
            )
    return layout.encode(
        item_code,
        weight_g=weight_g,
        price_minor=price_minor,
        count=count,
        flag=flag,
        currency_exponent=currency_exponent,
    )
