"""Money: integer minor units plus an ISO 4217 currency code. Never floats.

Rounding is explicit: every operation that can produce a fraction of a minor
unit (percentages, weights times unit prices, tax) takes a `Rounding` mode.
Which mode a store uses is configuration (SPEC section 3: banker's vs half-up
per currency).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from kiosk.errors import KioskError


class MoneyError(KioskError):
    """Invalid amount or currency, or arithmetic across currencies."""


class Rounding(enum.Enum):
    """How a fraction of a minor unit becomes a whole one."""

    HALF_UP = "half_up"  # 0.5 -> 1, -0.5 -> -1 (away from zero), usual on Chinese receipts
    HALF_EVEN = "half_even"  # banker's rounding: 0.5 -> 0, 1.5 -> 2

    def apply(self, value: Fraction) -> int:
        """Round an exact rational number of minor units to an integer."""
        mode = ROUND_HALF_UP if self is Rounding.HALF_UP else ROUND_HALF_EVEN
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        # Decimal division is exact enough here: denominators are small (100, 1000, 10000)
        # and the context has 28 significant digits.
        return int(exact.quantize(Decimal(1), rounding=mode))


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: alphabetic code, numeric code and minor-unit exponent."""

    code: str
    numeric: int
    exponent: int
    symbol: str


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("CNY", 156, 2, "¥"),
        Currency("EUR", 978, 2, "€"),
        Currency("HKD", 344, 2, "HK$"),
        Currency("USD", 840, 2, "$"),
        Currency("GBP", 826, 2, "£"),
        Currency("CHF", 756, 2, "CHF"),
        Currency("JPY", 392, 0, "¥"),
    )
}


def currency(code: str) -> Currency:
    """Look up a supported currency by its ISO 4217 alphabetic code."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise MoneyError(
            f"unsupported currency {code!r}; supported: {', '.join(sorted(CURRENCIES))}"
        ) from None


# Locales that write 12,50 rather than 12.50 (de_DE: "12,50 €", nl_NL: "€ 12,50").
_COMMA_DECIMAL_LOCALES = ("de", "fr", "nl", "it", "es", "pt")


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in integer minor units of one currency (¥12.50 is Money(1250, "CNY"))."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"money amount must be an integer of minor units, got {self.minor!r}")
        currency(self.currency)

    @classmethod
    def zero(cls, currency_code: str) -> Money:
        return cls(0, currency_code)

    @classmethod
    def parse(cls, text: str, currency_code: str) -> Money:
        """Parse a major-unit decimal string ("12.34") exactly; reject extra precision."""
        cur = currency(currency_code)
        try:
            value = Decimal(text.strip())
        except ArithmeticError:
            raise MoneyError(f"not an amount: {text!r}") from None
        if not value.is_finite():
            raise MoneyError(f"not an amount: {text!r}")
        minor = value.scaleb(cur.exponent)
        if minor != minor.to_integral_value():
            raise MoneyError(
                f"amount {text!r} has more than {cur.exponent} decimals for {currency_code}"
            )
        return cls(int(minor), currency_code)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, quantity: int) -> Money:
        """Multiply by a whole quantity (exact)."""
        return Money(self.minor * quantity, self.currency)

    def scaled(self, factor: Fraction, rounding: Rounding) -> Money:
        """Multiply by an exact fraction (weight in kg, percentage) and round once."""
        return Money(rounding.apply(Fraction(self.minor) * factor), self.currency)

    def is_zero(self) -> bool:
        return self.minor == 0

    def format(self, locale: str = "zh_CN") -> str:
        """Human form: ¥12.50 for zh_CN/en, 12,50 € for European locales."""
        cur = currency(self.currency)
        sign = "-" if self.minor < 0 else ""
        units, frac = divmod(abs(self.minor), 10**cur.exponent)
        frac_text = f"{frac:0{cur.exponent}d}" if cur.exponent else ""
        if locale.startswith(_COMMA_DECIMAL_LOCALES):
            grouped = f"{units:,}".replace(",", ".")
            number = f"{grouped},{frac_text}" if frac_text else grouped
            if locale.startswith("nl"):
                return f"{cur.symbol} {sign}{number}"
            return f"{sign}{number} {cur.symbol}"
        grouped = f"{units:,}"
        number = f"{grouped}.{frac_text}" if frac_text else grouped
        return f"{sign}{cur.symbol}{number}"

    def __str__(self) -> str:
        return self.format()
