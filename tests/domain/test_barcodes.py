"""The barcode parser: GTINs, UPC, symbology identifiers, unknown and invalid input."""

from __future__ import annotations

import pytest

from kiosk.domain.barcodes import (
    MAX_SCAN_LENGTH,
    BarcodeConfig,
    InvalidBarcode,
    ScanKind,
    parse_scan,
)
from kiosk.errors import KioskError
from tests.domain.barcode_reference import check_digit, upc_e_expanded

CONFIG = BarcodeConfig()

# Real product codes; each check digit is re-verified by the reference implementation.
EAN_13 = {
    "4006381333931": "Stabilo BOSS highlighter (Wikipedia EAN-13 example)",
    "5901234123457": "GS1 Poland sample",
    "6901234567892": "GS1 China sample",
    "9780201379624": "ISBN 978-0-201-37962-4 as EAN-13",
}
EAN_8 = ("96385074", "73513537")
UPC_A = ("036000291452", "012345678905")
UPC_E = {  # UPC-E -> UPC-A, one per expansion rule (last data digit 0-2, 3, 4, 5-9)
    "01234505": "012000003455",
    "04252614": "042100005264",
    "01234531": "012300000451",
    "01234543": "012340000053",
    "01234558": "012345000058",
    "01234565": "012345000065",
}


@pytest.mark.parametrize("code", [*EAN_13, *EAN_8, *UPC_A, *UPC_E.values()])
def test_example_codes_have_correct_check_digits(code: str) -> None:
    assert check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize("upc_e", sorted(UPC_E))
def test_example_upc_e_check_digits_are_those_of_their_expansion(upc_e: str) -> None:
    assert check_digit(upc_e_expanded(upc_e)[:-1]) == upc_e[-1]


@pytest.mark.parametrize("code", sorted(EAN_13))
def test_ean_13_gives_zero_padded_gtin(code: str) -> None:
    result = parse_scan(code, CONFIG)
    assert result.kind is ScanKind.GTIN
    assert result.gtin == "0" + code
    assert result.symbology is None
    assert result.raw == code


@pytest.mark.parametrize("code", EAN_8)
def test_ean_8_gives_zero_padded_gtin(code: str) -> None:
    assert parse_scan(code, CONFIG).gtin == "000000" + code
    assert parse_scan("]E4" + code, CONFIG).gtin == "000000" + code


@pytest.mark.parametrize("code", UPC_A)
def test_upc_a_gives_zero_padded_gtin(code: str) -> None:
    assert parse_scan(code, CONFIG).gtin == "00" + code
    assert parse_scan("]E0" + code, CONFIG).gtin == "00" + code
    # Scanners that send UPC-A as EAN-13 (leading 0) give the same GTIN.
    assert parse_scan("]E00" + code, CONFIG).gtin == "00" + code


@pytest.mark.parametrize(("upc_e", "upc_a"), sorted(UPC_E.items()))
def test_upc_e_expands_to_upc_a(upc_e: str, upc_a: str) -> None:
    assert upc_e_expanded(upc_e) == upc_a
    result = parse_scan("]E0" + upc_e, CONFIG)
    assert result.kind is ScanKind.GTIN
    assert result.gtin == "00" + upc_a
    assert result.symbology == "]E0"


def test_upc_e_without_check_digit_or_number_system_expands() -> None:
    assert parse_scan("]E00425261", CONFIG).gtin == "00042100005264"
    assert parse_scan("]E0425261", CONFIG).gtin == "00042100005264"


def test_eight_digits_without_identifier_are_upc_e_when_not_a_valid_ean_8() -> None:
    assert check_digit("0425261") != "4"  # not a valid EAN-8
    assert parse_scan("04252614", CONFIG).gtin == "00042100005264"


def test_eight_digits_with_ean_8_identifier_are_never_upc_e() -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan("]E404252614", CONFIG)
    assert caught.value.reason == f"check digit should be {check_digit('0425261')}, got 4"


def test_upc_e_with_bad_check_digit_says_which_is_expected() -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan("]E004252615", CONFIG)
    assert caught.value.reason == "UPC-E check digit should be 4, got 5"


def test_upc_e_number_system_must_be_0_or_1() -> None:
    with pytest.raises(InvalidBarcode, match="UPC-E number system must be 0 or 1, got 5"):
        parse_scan("]E054252614", CONFIG)


def test_itf_14_gtin_is_read_by_content() -> None:
    result = parse_scan("]I110614141000415", CONFIG)
    assert result.kind is ScanKind.GTIN
    assert result.gtin == "10614141000415"
    assert result.symbology == "]I1"


def test_ean_13_with_add_on_keeps_the_main_gtin() -> None:
    result = parse_scan("]E3978020137962451999", CONFIG)
    assert result.gtin == "09780201379624"
    assert result.symbology == "]E3"


def test_bad_check_digit_names_expected_and_got() -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan("4006381333937", CONFIG)
    assert caught.value.reason == "check digit should be 1, got 7"
    assert "'4006381333937'" in str(caught.value)
    assert isinstance(caught.value, KioskError)


def test_eight_digits_failing_both_ean_8_and_upc_e_name_both_check_digits() -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan("04252619", CONFIG)
    ean8 = check_digit("0425261")
    assert caught.value.reason == f"check digit should be {ean8} (EAN-8) or 4 (UPC-E), got 9"


@pytest.mark.parametrize(
    ("data", "symbology"),
    [("]E06901234567892", "]E0"), ("]C06901234567892", "]C0"), ("]A06901234567892", "]A0")],
)
def test_symbology_identifier_is_stripped_and_reported(data: str, symbology: str) -> None:
    result = parse_scan(data, CONFIG)
    assert result.symbology == symbology
    assert result.raw == "6901234567892"
    assert result.gtin == "06901234567892"


def test_scanner_framing_is_stripped_but_gs_is_kept() -> None:
    assert parse_scan("6901234567892\r\n", CONFIG).gtin == "06901234567892"
    result = parse_scan("]C1\x1d0106901234567892\x1d\r\n", CONFIG)
    assert result.gtin == "06901234567892"


def test_ean_identifier_with_letters_is_invalid() -> None:
    with pytest.raises(InvalidBarcode, match=r"\]E0 \(EAN/UPC\) data must be digits"):
        parse_scan("]E0ABCDEFGHIJKLM", CONFIG)


def test_ean_identifier_with_wrong_length_is_invalid() -> None:
    with pytest.raises(InvalidBarcode, match="has 6-8, 12 or 13 digits, got 10"):
        parse_scan("]E01234567890", CONFIG)


@pytest.mark.parametrize("text", ["hello world", "ABC-123", "条码", "]Zgarbage", "123456"])
def test_other_printable_text_is_unknown_with_raw(text: str) -> None:
    result = parse_scan(text, CONFIG)
    assert result.kind is ScanKind.UNKNOWN
    assert result.raw == text
    assert result.to_json()["raw"] == text


def test_an_unknown_symbology_prefix_is_data() -> None:
    result = parse_scan("]", CONFIG)
    assert result.kind is ScanKind.UNKNOWN
    assert result.raw == "]"


@pytest.mark.parametrize("data", ["", "   ", "\r\n"])
def test_empty_scan_is_invalid(data: str) -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(data, CONFIG)
    assert caught.value.reason == "empty scan"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("69012\x0734567892", "control character 0x07 at position 6"),
        ("\x00", "control character 0x00 at position 1"),
        ("abc\x7f", "control character 0x7F at position 4"),
        ("ab\u200bc", "control character U+200B at position 3"),
    ],
)
def test_control_characters_are_invalid_with_position(data: str, reason: str) -> None:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(data, CONFIG)
    assert caught.value.reason == reason


def test_identifier_without_data_is_invalid() -> None:
    with pytest.raises(InvalidBarcode, match="no data after the symbology identifier ]E0"):
        parse_scan("]E0", CONFIG)


def test_overlong_scan_is_invalid() -> None:
    with pytest.raises(
        InvalidBarcode, match=f"more than any barcode holds \\({MAX_SCAN_LENGTH}\\)"
    ):
        parse_scan("A" * (MAX_SCAN_LENGTH + 1), CONFIG)


def test_non_text_input_is_invalid_not_a_type_error() -> None:
    with pytest.raises(InvalidBarcode, match="scan data must be text, got bytes"):
        parse_scan(b"6901234567892", CONFIG)  # type: ignore[arg-type]


def test_unicode_digits_are_not_mistaken_for_a_gtin() -> None:
    arabic_indic = "٦٩٠١٢٣٤٥٦٧٨٩٢"  # 6901234567892 in Arabic-Indic digits
    assert parse_scan(arabic_indic, CONFIG).kind is ScanKind.UNKNOWN


def test_result_is_frozen_and_hashable() -> None:
    result = parse_scan("6901234567892", CONFIG)
    with pytest.raises(AttributeError):
        result.gtin = "x"  # type: ignore[misc]
    assert hash(result) == hash(parse_scan("6901234567892", CONFIG))


def test_to_json_has_every_spec_key() -> None:
    document = parse_scan("]E06901234567892", CONFIG).to_json()
    spec_keys = {"kind", "gtin", "weight_g", "price_minor", "count", "expiry", "best_before"}
    spec_keys |= {"lot", "serial", "ai"}
    assert spec_keys <= document.keys()
    assert document["kind"] == "gtin"
    assert document["gtin"] == "06901234567892"
    assert document["ai"] == {}
    assert document["symbology"] == "]E0"
