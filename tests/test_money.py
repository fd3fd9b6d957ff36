from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.money import Money, MoneyError, Rounding


def test_formats_yuan_and_euro_per_locale() -> None:
    assert Money(1250, "CNY").format("zh_CN") == "¥12.50"
    assert Money(1250, "EUR").format("de_DE") == "12,50 €"
    assert Money(1250, "EUR").format("nl_NL") == "€ 12,50"
    assert Money(123456789, "EUR").format("de_DE") == "1.234.567,89 €"
    assert Money(-5, "CNY").format("en") == "-¥0.05"
    assert Money(500, "JPY").format("en") == "¥500"


def test_rejects_floats_and_mixed_currencies() -> None:
    with pytest.raises(MoneyError):
        Money(12.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="cannot combine"):
        Money(1, "CNY") + Money(1, "EUR")
    with pytest.raises(MoneyError, match="unsupported currency"):
        Money(1, "XXX")


def test_parse_major_units_exactly() -> None:
    assert Money.parse("12.34", "EUR") == Money(1234, "EUR")
    assert Money.parse("7", "CNY") == Money(700, "CNY")
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        Money.parse("1.005", "EUR")
    with pytest.raises(MoneyError, match="not an amount"):
        Money.parse("abc", "EUR")


def test_half_up_and_bankers_rounding_differ_on_ties() -> None:
    assert Rounding.HALF_UP.apply(Fraction(5, 2)) == 3
    assert Rounding.HALF_EVEN.apply(Fraction(5, 2)) == 2
    assert Rounding.HALF_EVEN.apply(Fraction(7, 2)) == 4
    assert Rounding.HALF_UP.apply(Fraction(-5, 2)) == -3


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6), st.integers(1, 10**6))
def test_rounding_is_within_half_a_minor_unit(minor: int, num: int, den: int) -> None:
    exact = Fraction(minor) * Fraction(num, den)
    for mode in Rounding:
        rounded = Money(minor, "CNY").scaled(Fraction(num, den), mode).minor
        assert abs(Fraction(rounded) - exact) <= Fraction(1, 2)
