"""The hand-written GS1 check digits and UPC-E expansion agree with biip's for every input.

They are written by hand only to keep biip (~22 MB resident) out of a kiosk that scans
EAN/UPC codes; biip is the reference they must match.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from biip import ParseError
from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit
from biip.upc import Upc
from hypothesis import example, given
from hypothesis import strategies as st

from kiosk.domain.barcodes.errors import Rejected
from kiosk.domain.barcodes.gtin import check_digit_of, gtin14_from_eight, upc_e_to_upc_a
from kiosk.domain.barcodes.variable_measure import price_weight_check_digit

DIGITS = "0123456789"
digit_text = st.text(alphabet=DIGITS, min_size=1, max_size=40)
# Unicode decimal digits too (Arabic-Indic, full-width): biip accepts any `isdecimal`.
decimal_text = st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=20)


def _outcome(function: Callable[[str], int], value: str) -> int | type[Exception]:
    try:
        return function(value)
    except ValueError:
        return ValueError


@given(st.one_of(digit_text, decimal_text, st.text(max_size=20)))
@example("")
@example("950110153100")
@example("9501234")
def test_check_digit_agrees_with_biip_for_any_text(value: str) -> None:
    assert _outcome(check_digit_of, value) == _outcome(gs1_standard_check_digit, value)


@given(digit_text)
def test_a_code_with_its_check_digit_sums_to_a_multiple_of_ten(payload: str) -> None:
    code = payload + str(check_digit_of(payload))
    # GenSpecs 7.9.1: from the rightmost digit (the check digit, weight 1), weights 1,3,1,3…
    weighted = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(reversed(code)))
    assert weighted % 10 == 0


@given(
    st.one_of(
        st.text(alphabet=DIGITS, min_size=4, max_size=5),
        st.text(alphabet=DIGITS, max_size=8),
        decimal_text,
        st.text(max_size=6),
    )
)
@example("2875")
@example("14685")
def test_price_weight_verifier_agrees_with_biip_for_any_text(value: str) -> None:
    ours = _outcome(price_weight_check_digit, value)
    assert ours == _outcome(gs1_price_weight_check_digit, value)


def _biip_upc_a(code: str) -> str | None:
    """biip's UPC-A for a 6-8 digit UPC-E, or None when biip refuses it."""
    try:
        return Upc.parse(code).as_upc_a()
    except ParseError:
        return None


def _our_upc_a(code: str) -> str | None:
    try:
        return upc_e_to_upc_a(code)
    except Rejected:
        return None


@given(
    st.integers(min_value=6, max_value=8).flatmap(lambda n: st.text(DIGITS, min_size=n, max_size=n))
)
@example("0425261")  # 7 digits: check digit computed
@example("04252614")  # 8 digits, valid
@example("04252615")  # 8 digits, wrong check digit
@example("24252614")  # number system 2
def test_upc_e_expansion_agrees_with_biip_for_any_6_to_8_digits(code: str) -> None:
    assert _our_upc_a(code) == _biip_upc_a(code)


@given(st.sampled_from("01"), st.text(DIGITS, min_size=6, max_size=6))
def test_every_valid_upc_e_expands_like_biip(number_system: str, data: str) -> None:
    seven = number_system + data
    upc_a = upc_e_to_upc_a(seven)
    assert upc_a == Upc.parse(seven).as_upc_a()
    assert upc_e_to_upc_a(seven + upc_a[-1]) == upc_a
    assert len(upc_a) == 12


@given(st.text(DIGITS, min_size=8, max_size=8))
def test_an_unlabelled_eight_digit_read_is_ean_8_when_valid_else_upc_e_like_biip(
    code: str,
) -> None:
    try:
        ours: str | None = gtin14_from_eight(code, upc_e=None)
    except Rejected:
        ours = None
    if code[7] == str(gs1_standard_check_digit(code[:7])):
        assert ours == code.zfill(14)
    else:
        upc_a = _biip_upc_a(code)
        assert ours == (upc_a.zfill(14) if upc_a is not None else None)


def test_a_non_decimal_payload_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="decimal digits"):
        check_digit_of("12a4")
