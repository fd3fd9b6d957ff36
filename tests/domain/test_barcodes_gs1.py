"""GS1 element strings (FNC1 as GS) and GS1 Digital Link URIs."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.barcodes import BarcodeConfig, InvalidBarcode, ScanKind, parse_scan

CONFIG = BarcodeConfig()
TODAY = date(2025, 6, 1)
GS = "\x1d"
GTIN = "06901234567892"  # GS1 China sample, check digit 2


def parse(data: str, config: BarcodeConfig = CONFIG) -> object:
    return parse_scan(data, config, today=TODAY)


def reason_of(data: str, config: BarcodeConfig = CONFIG) -> str:
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(data, config, today=TODAY)
    return caught.value.reason


def test_gs1_128_gtin_expiry_lot_and_weight() -> None:
    result = parse_scan(f"]C101{GTIN}17251231" + f"10LOT-7{GS}3103001234", CONFIG, today=TODAY)
    assert result.kind is ScanKind.GS1
    assert result.symbology == "]C1"
    assert result.gtin == GTIN
    assert result.expiry == date(2025, 12, 31)
    assert result.lot == "LOT-7"
    assert result.weight_g == 1234
    assert result.ai == {"01": GTIN, "17": "251231", "10": "LOT-7", "3103": "001234"}


def test_every_gs1_symbology_identifier_reads_element_strings() -> None:
    for identifier in ("]C1", "]e0", "]d2", "]Q3", "]J1"):
        result = parse_scan(f"{identifier}01{GTIN}21SN123", CONFIG)
        assert (result.kind, result.gtin, result.serial) == (ScanKind.GS1, GTIN, "SN123")


def test_leading_and_trailing_fnc1_are_ignored() -> None:
    result = parse_scan(f"]d2{GS}01{GTIN}{GS}10A1{GS}", CONFIG)
    assert (result.gtin, result.lot) == (GTIN, "A1")


def test_production_and_best_before_dates() -> None:
    result = parse_scan(f"]C101{GTIN}11250101" + "15250630", CONFIG, today=TODAY)
    assert result.best_before == date(2025, 6, 30)
    assert result.ai["11"] == "250101"
    assert result.expiry is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("250200", date(2025, 2, 28)), ("240200", date(2024, 2, 29)), ("251100", date(2025, 11, 30))],
)
def test_expiry_day_00_means_end_of_month(value: str, expected: date) -> None:
    assert parse_scan(f"]C117{value}", CONFIG, today=TODAY).expiry == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("251301", "AI 17: month 13 out of range"),
        ("250001", "AI 17: month 0 out of range"),
        ("250132", "AI 17: day 32 out of range"),
        ("250431", "AI 17: day 31 out of range for 2025-04"),
        ("250229", "AI 17: day 29 out of range for 2025-02"),
        ("25AB01", "AI 17: expected a date YYMMDD, got '25AB01'"),
    ],
)
def test_invalid_expiry_dates_say_what_is_wrong(value: str, reason: str) -> None:
    assert reason_of(f"]C101{GTIN}17{value}") == reason


def test_two_digit_years_follow_the_gs1_sliding_window() -> None:
    # GenSpecs 7.12: up to 49 years back, 50 ahead of today (2025).
    assert parse_scan("]C117991231", CONFIG, today=TODAY).expiry == date(1999, 12, 31)
    assert parse_scan("]C117751231", CONFIG, today=TODAY).expiry == date(2075, 12, 31)
    assert parse_scan("]C117761231", CONFIG, today=TODAY).expiry == date(1976, 12, 31)
    # Without a date the parser reads no clock: YY is 20YY.
    assert parse_scan("]C117991231", CONFIG).expiry == date(2099, 12, 31)


def test_count_and_serial() -> None:
    result = parse_scan(f"]C101{GTIN}3012{GS}21ABC", CONFIG)
    assert (result.count, result.serial) == (12, "ABC")


@pytest.mark.parametrize(
    ("element", "grams"),
    [
        ("3100000002", 2000),
        ("3102000150", 1500),
        ("3103001234", 1234),
        ("3104012345", 1235),  # 1234.5 g rounds half up
        ("3105001235", 12),  # 12.35 g
    ],
)
def test_net_weight_in_kg_becomes_grams(element: str, grams: int) -> None:
    assert parse_scan(f"]C1{element}", CONFIG).weight_g == grams


@pytest.mark.parametrize(
    ("element", "grams"),
    [
        ("3200000001", 454),  # 1 lb = 453.59237 g
        ("3201000005", 227),  # 0.5 lb = 226.796185 g
        ("3202000100", 454),
        ("3203002205", 1000),  # 2.205 lb = 1000.17 g
        ("3200050000", 22679619),  # 50000 lb = 22679618.5 g: half up, not half even
    ],
)
def test_net_weight_in_pounds_becomes_grams(element: str, grams: int) -> None:
    assert parse_scan(f"]C1{element}", CONFIG).weight_g == grams


def test_kg_weight_wins_over_pounds_on_the_same_label() -> None:
    result = parse_scan(f"]C13202000220{GS}3103001000", CONFIG)
    assert result.weight_g == 1000


@pytest.mark.parametrize(
    ("element", "minor"),
    [("3922001299", 1299), ("392015", 1500), ("392312345", 1235), ("3932156001299", 1299)],
)
def test_amount_payable_becomes_minor_units(element: str, minor: int) -> None:
    assert parse_scan(f"]C101{GTIN}{element}", CONFIG).price_minor == minor


def test_price_in_a_foreign_currency_is_refused() -> None:
    assert reason_of("]C13932978001299") == (
        "AI 3932: price in currency 978 (EUR), the store takes CNY"
    )


def test_price_in_the_store_currency_of_a_european_store() -> None:
    euro = BarcodeConfig(currency="EUR")
    assert parse_scan("]C13932978001299", euro).price_minor == 1299
    assert parse_scan("]C13922001299", euro).price_minor == 1299


def test_price_in_a_zero_decimal_currency() -> None:
    yen = BarcodeConfig(currency="JPY", variable_measure=())
    assert parse_scan("]C13920450", yen).price_minor == 450
    assert parse_scan("]C13921455", yen).price_minor == 46  # 45.5 yen, half up


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (f"]C101{GTIN[:-1]}3", "AI 01: check digit should be 2, got 3"),
        (f"]C101{GTIN[:12]}", "AI 01: expected 14 digits, got 12"),
        (f"]C101{GTIN[:10]}{GS}1234", "AI 01: expected 14 digits, got 10"),
        ("]C105ABC", "no GS1 application identifier at position 1 ('05AB')"),
        (f"]C101{GTIN}05", "no GS1 application identifier at position 17 ('05')"),
        ("]C110" + "A" * 21, "AI 10: 21 characters, at most 20"),
        ("]C110AB#C", "AI 10: character '#' is not allowed in GS1 data"),
        ("]C13103001A34", "AI 3103: expected digits, got '001A34'"),
        (f"]C110{GS}21X", "AI 10: empty value"),
        (f"]C110A{GS}10B", "AI 10 appears twice with different values"),
        ("]C1" + GS, "no GS1 element strings"),
        ("]C101" + "٠٦٩٠١٢٣٤٥٦٧٨٩٢", "AI 01: character '٠' is not allowed in GS1 data"),
    ],
)
def test_invalid_element_strings_say_what_is_wrong(data: str, reason: str) -> None:
    assert reason_of(data) == reason


def test_a_repeated_identical_ai_is_accepted() -> None:
    assert parse_scan(f"]C110A{GS}10A", CONFIG).lot == "A"


def test_message_without_gtin_is_still_gs1() -> None:
    result = parse_scan("]C110BATCH9", CONFIG)
    assert (result.kind, result.gtin, result.lot) == (ScanKind.GS1, None, "BATCH9")


def test_gs1_without_identifier_is_recognised_by_gs() -> None:
    result = parse_scan(f"01{GTIN}10A1{GS}17251231", CONFIG, today=TODAY)
    assert (result.kind, result.lot, result.expiry) == (ScanKind.GS1, "A1", date(2025, 12, 31))


def test_gs1_digits_without_identifier_or_gs_start_with_a_valid_gtin() -> None:
    result = parse_scan(f"01{GTIN}172512311012", CONFIG, today=TODAY)
    assert (result.kind, result.expiry, result.lot) == (ScanKind.GS1, date(2025, 12, 31), "12")
    assert reason_of(f"01{GTIN}172513011012") == "AI 17: month 13 out of range"


def test_digits_starting_01_without_a_valid_gtin_are_unknown() -> None:
    assert parse_scan(f"01{GTIN[:-1]}3172512311012", CONFIG).kind is ScanKind.UNKNOWN


def test_human_readable_form_is_accepted() -> None:
    result = parse_scan(f"(01){GTIN}(17)250600(10)AB-1", CONFIG, today=TODAY)
    assert (result.kind, result.expiry, result.lot) == (ScanKind.GS1, date(2025, 6, 30), "AB-1")


def test_human_readable_form_rejects_unknown_ai() -> None:
    assert reason_of(f"(01){GTIN}(05)X") == "unknown GS1 application identifier (05)"


def test_text_in_parentheses_that_is_not_gs1_is_unknown() -> None:
    assert parse_scan("(see label)", CONFIG).kind is ScanKind.UNKNOWN


# ------------------------------------------------------------------ Digital Link


def test_digital_link_on_any_host() -> None:
    uri = "https://shop.example.cn/p/01/09506000134352/10/ABC123?17=251231&utm=x"
    result = parse_scan("]Q1" + uri, CONFIG, today=TODAY)
    assert result.kind is ScanKind.DIGITAL_LINK
    assert result.gtin == "09506000134352"
    assert result.lot == "ABC123"
    assert result.expiry == date(2025, 12, 31)
    assert result.raw == uri
    assert result.ai == {"01": "09506000134352", "10": "ABC123", "17": "251231"}


def test_digital_link_pads_a_13_digit_gtin_and_decodes_percent_escapes() -> None:
    result = parse_scan("http://id.gs1.org/01/6901234567892/21/A%2F1?3103=000500", CONFIG)
    assert (result.gtin, result.serial, result.weight_g) == (GTIN, "A/1", 500)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://id.gs1.org/01/09506000134353", "AI 01: check digit should be 2, got 3"),
        ("https://id.gs1.org/01/09506000134352?17=251301", "AI 17: month 13 out of range"),
        (
            "https://id.gs1.org/01/09506000134352/10/A?17=250431",
            "AI 17: day 31 out of range for 2025-04",
        ),
        ("https://id.gs1.org/01/09506000134352/10/" + "L" * 21, "AI 10: 21 characters, at most 20"),
    ],
)
def test_invalid_digital_links_say_which_field(uri: str, reason: str) -> None:
    assert reason_of(uri) == reason


def test_structurally_broken_digital_link_keeps_biips_explanation() -> None:
    reason = reason_of("https://id.gs1.org/01/09506000134352/10")
    assert reason.startswith("Digital Link: ")
    assert "even number of path segments" in reason


def test_ordinary_web_address_is_unknown() -> None:
    for uri in ("https://www.example.com/", "https://weixin.qq.com/r/abc", "http://[::1"):
        result = parse_scan(uri, CONFIG)
        assert (result.kind, result.raw) == (ScanKind.UNKNOWN, uri)


def test_gs1_symbology_carrying_a_plain_web_address_is_invalid() -> None:
    assert "no GS1 Digital Link" in reason_of("]Q3https://www.example.com/")
