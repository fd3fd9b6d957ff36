"""Store scale labels (variable measure, prefixes 02 and 20–29) with per-store layouts."""

from __future__ import annotations

import pytest

from kiosk.domain.barcodes import (
    BarcodeConfig,
    InvalidBarcode,
    ScaleLabelLayout,
    ScanKind,
    parse_scan,
    variable_measure_label,
)
from tests.domain.barcode_reference import price_verifier, with_check_digit

CONFIG = BarcodeConfig()


def config_with(*layouts: ScaleLabelLayout, currency: str = "CNY") -> BarcodeConfig:
    return BarcodeConfig(currency=currency, variable_measure=layouts)


def test_13_digit_price_label_gives_item_code_and_price() -> None:
    # A Chinese deli label: flag 21, PLU 10001 (apples), amount ¥5.00, check digit.
    label = with_check_digit("21" + "10001" + "00500")
    result = parse_scan("]E0" + label, CONFIG)
    assert result.kind is ScanKind.VARIABLE_MEASURE
    assert (result.item_code, result.price_minor, result.weight_g) == ("10001", 500, None)
    assert result.gtin is None
    assert result.raw == label


@pytest.mark.parametrize("flag", ["20", "25", "29"])
def test_default_13_digit_flags_cover_20_to_29(flag: str) -> None:
    result = parse_scan(with_check_digit(flag + "0042" + "0" + "12345"), CONFIG)
    assert (result.kind, result.item_code, result.price_minor) == (
        ScanKind.VARIABLE_MEASURE,
        "00420",
        12345,
    )


def test_upc_a_number_system_2_label_is_flag_02() -> None:
    upc_a = with_check_digit("2" + "12345" + "00789")
    result = parse_scan("]E0" + upc_a, CONFIG)
    assert (result.kind, result.item_code, result.price_minor) == (
        ScanKind.VARIABLE_MEASURE,
        "12345",
        789,
    )


def test_18_digit_label_gives_weight_and_price() -> None:
    label = with_check_digit("22" + "12345" + "01234" + "02468")
    result = parse_scan("]C0" + label, CONFIG)
    assert result.kind is ScanKind.VARIABLE_MEASURE
    assert (result.item_code, result.weight_g, result.price_minor) == ("12345", 1234, 2468)
    assert result.symbology == "]C0"


def test_label_with_bad_check_digit_is_invalid() -> None:
    label = with_check_digit("21" + "10001" + "00500")
    wrong = str((int(label[-1]) + 1) % 10)
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(label[:-1] + wrong, CONFIG)
    assert caught.value.reason == f"check digit should be {label[-1]}, got {wrong}"


def test_18_digit_label_with_bad_check_digit_is_shown_in_the_error() -> None:
    label = with_check_digit("22" + "12345" + "01234" + "02468")
    bad = label[:-1] + str((int(label[-1]) + 5) % 10)
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(bad, CONFIG)
    assert bad in str(caught.value)  # a scale label, not a payment code: no need to mask


def test_price_before_weight_layout_of_some_back_offices() -> None:
    # 18-digit "26XXXXXMMMMMWWWWWC": flag 26, PLU, amount (2 decimals), weight (3 decimals).
    layout = ScaleLabelLayout("FFIIIIIPPPPPWWWWWC", ("26",))
    config = BarcodeConfig(
        variable_measure=(layout,), payment_codes=(("alipay", "(2[5789]|30)[0-9]{14,22}"),)
    )
    result = parse_scan(with_check_digit("26" + "00077" + "01990" + "00850"), config)
    assert (result.item_code, result.price_minor, result.weight_g) == ("00077", 1990, 850)


def test_weight_only_layout_with_other_decimals() -> None:
    grams = config_with(ScaleLabelLayout("FFIIIIIWWWWWC", ("28",)))
    assert parse_scan(with_check_digit("28" + "55555" + "01500"), grams).weight_g == 1500
    ten_grams = config_with(ScaleLabelLayout("FFIIIIIWWWWWC", ("28",), weight_decimals=2))
    assert parse_scan(with_check_digit("28" + "55555" + "00123"), ten_grams).weight_g == 1230
    tenth_grams = config_with(ScaleLabelLayout("FFIIIIIWWWWWC", ("28",), weight_decimals=4))
    assert parse_scan(with_check_digit("28" + "55555" + "12345"), tenth_grams).weight_g == 1235


def test_price_in_jiao_and_in_a_zero_decimal_currency() -> None:
    jiao = config_with(ScaleLabelLayout("FFIIIIIPPPPPC", ("20",), price_decimals=1))
    assert parse_scan(with_check_digit("20" + "00001" + "01234"), jiao).price_minor == 12340
    yen = config_with(ScaleLabelLayout("FFIIIIIPPPPPC", ("20",), price_decimals=0), currency="JPY")
    assert parse_scan(with_check_digit("20" + "00001" + "01234"), yen).price_minor == 1234


def test_count_layout_and_ignored_digits() -> None:
    config = config_with(ScaleLabelLayout("FFIIIIXXQQQQC", ("23",)))
    result = parse_scan(with_check_digit("23" + "4321" + "99" + "0006"), config)
    assert (result.item_code, result.count, result.price_minor) == ("4321", 6, None)


def test_reference_price_verifier_matches_the_gs1_worked_examples() -> None:
    # GS1 GenSpecs 7.9.3 (4 digits: 2875 -> 9) and 7.9.4 (5 digits: 14685 -> 6).
    assert price_verifier("2875") == "9"
    assert price_verifier("14685") == "6"


def test_five_digit_price_with_verifier_digit() -> None:
    config = config_with(ScaleLabelLayout("FFIIIIVPPPPPC", ("29",)))
    good = with_check_digit("29" + "1234" + "6" + "14685")
    assert parse_scan(good, config).price_minor == 14685
    bad = with_check_digit("29" + "1234" + "1" + "14685")
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(bad, config)
    assert caught.value.reason == "price verifier digit should be 6, got 1"


def test_four_digit_weight_with_verifier_digit() -> None:
    config = config_with(ScaleLabelLayout("FFIIIIIVWWWWC", ("24",)))
    label = with_check_digit("24" + "00012" + price_verifier("2875") + "2875")
    assert parse_scan(label, config).weight_g == 2875
    bad = with_check_digit("24" + "00012" + "0" + "2875")
    with pytest.raises(InvalidBarcode, match="weight verifier digit should be 9, got 0"):
        parse_scan(bad, config)


def test_without_layouts_a_restricted_circulation_number_is_a_plain_gtin() -> None:
    label = with_check_digit("21" + "10001" + "00500")
    result = parse_scan(label, BarcodeConfig(variable_measure=()))
    assert (result.kind, result.gtin) == (ScanKind.GTIN, "0" + label)


def test_flags_outside_the_layouts_stay_gtins() -> None:
    result = parse_scan("6901234567892", CONFIG)
    assert result.kind is ScanKind.GTIN


# ------------------------------------------------------------------ printing labels


def test_printed_price_label_parses_back() -> None:
    label = variable_measure_label("10001", price_minor=500)
    assert label == with_check_digit("20" + "10001" + "00500")
    result = parse_scan(label, CONFIG)
    assert (result.item_code, result.price_minor) == ("10001", 500)


def test_printed_weight_and_price_label_parses_back() -> None:
    label = variable_measure_label("123", 1234, 2468, flag="23")
    assert len(label) == 18
    result = parse_scan(label, CONFIG)
    assert (result.item_code, result.weight_g, result.price_minor) == ("00123", 1234, 2468)


def test_printed_label_with_verifier_parses_back() -> None:
    layout = ScaleLabelLayout("FFIIIIVPPPPPC", ("29",))
    label = variable_measure_label("77", price_minor=14685, layout=layout)
    assert label[6] == "6"
    assert parse_scan(label, config_with(layout)).price_minor == 14685


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight_g": 500}, "no default scale-label layout carries exactly"),
        ({"price_minor": 100_000}, "does not fit 5 digits"),
        ({"price_minor": 5, "flag": "30"}, "flag '30' is not one of"),
    ],
)
def test_label_printer_refuses_values_it_cannot_print(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        variable_measure_label("1", **kwargs)  # type: ignore[arg-type]


def test_label_printer_refuses_more_precision_than_the_field() -> None:
    layout = ScaleLabelLayout("FFIIIIIWWWWWC", ("28",), weight_decimals=2)
    with pytest.raises(ValueError, match="more precision"):
        variable_measure_label("1", weight_g=1235, layout=layout)
