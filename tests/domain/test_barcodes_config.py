"""`BarcodeConfig.from_mapping`: the `[barcodes]` table, validated with precise errors."""

from __future__ import annotations

import tomllib

import pytest

from kiosk.domain.barcodes import (
    DEFAULT_SCALE_LAYOUTS,
    BarcodeConfig,
    ScaleLabelLayout,
    ScanKind,
    parse_scan,
)
from kiosk.errors import ConfigError
from tests.domain.barcode_reference import with_check_digit

SOURCE = "/etc/kiosk/kiosk.toml"


def load(text: str) -> BarcodeConfig:
    return BarcodeConfig.from_mapping(tomllib.loads(text).get("barcodes", {}), SOURCE)


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return str(caught.value)


def test_empty_table_gives_the_defaults() -> None:
    assert load("[barcodes]\n") == BarcodeConfig()
    assert BarcodeConfig().variable_measure == DEFAULT_SCALE_LAYOUTS


def test_a_full_table_configures_a_store() -> None:
    config = load(
        """
        [barcodes]
        currency = "EUR"
        member_patterns = ["K(?P<id>[0-9]{10})"]
        member_url_prefixes = ["https://club.example.de/k/"]

        [barcodes.payment_codes]
        alipay = "(2[5-9]|30)[0-9]{14,22}"

        [[barcodes.variable_measure]]
        name = "price with verifier"
        pattern = "FFIIIIVPPPPPC"
        prefixes = ["21-22"]
        price_decimals = 2

        [[barcodes.variable_measure]]
        pattern = "FFIIIIIWWWWWC"
        prefixes = ["23"]
        weight_decimals = 3
        """
    )
    assert config.currency == "EUR"
    assert [layout.prefixes for layout in config.variable_measure] == [("21", "22"), ("23",)]
    assert config.payment_codes == (("alipay", "(2[5-9]|30)[0-9]{14,22}"),)
    assert parse_scan("K0123456789", config).member_id == "0123456789"
    weight = parse_scan(with_check_digit("23" + "00042" + "00750"), config)
    assert (weight.kind, weight.weight_g) == (ScanKind.VARIABLE_MEASURE, 750)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[barcodes]\ncolour = "red"', "[barcodes] colour: unknown key"),
        ('[barcodes]\ncurrency = "XYZ"', "[barcodes] currency: 'XYZ' is not a supported currency"),
        ("[barcodes]\ncurrency = 5", "[barcodes] currency: 5 is not text"),
        (
            '[barcodes.payment_codes]\nwechat = "1[0-5"',
            "[barcodes] payment_codes.wechat: '1[0-5' is not a valid regular expression",
        ),
        (
            '[barcodes.payment_codes]\nWeChat = "1"',
            "[barcodes] payment_codes.WeChat: provider names are lowercase",
        ),
        ('[barcodes]\nmember_patterns = "M"', "[barcodes] member_patterns: 'M' is not a list"),
        (
            '[barcodes]\nmember_url_prefixes = [""]',
            "[barcodes] member_url_prefixes[0]: '' is not a URL prefix",
        ),
        ('[barcodes]\nvariable_measure = "x"', "[barcodes] variable_measure: must be a list"),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"',
            "[barcodes] variable_measure[0].prefixes: is required",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["2"]',
            "variable_measure[0].prefixes: flag '2' has 1 digits, the pattern's F has 2",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPC"\nprefixes = ["20"]',
            "variable_measure[0].pattern: 'FFIIIIIPPPPC' has 12 digits; scale labels have 13 or 18",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPZ"\nprefixes = ["20"]',
            "unknown letters 'Z'",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIPPPPPIIIC"\nprefixes = ["20"]',
            "the I digits must be one contiguous run",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIIIIIIC"\nprefixes = ["20"]',
            "has no weight W, price P or count Q",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPX"\nprefixes = ["20"]',
            "must end with one check digit C",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["20"]\n'
            "price_decimals = 3",
            "variable_measure[0].price_decimals: 3 is more than CNY has (2); use 0..2",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["20"]\n'
            "weight_decimals = true",
            "variable_measure[0].weight_decimals: True is not a whole number",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["20"]\n'
            "weight_decimals = 9",
            "variable_measure[0].weight_decimals: 9 is not a whole number 0..6",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["29-20"]',
            "variable_measure[0].prefixes[0]: '29-20': a range needs equal-length bounds",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["20"]\n'
            'colour = "red"',
            "variable_measure[0].colour: unknown key",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIVWWWWPPPPC"\nprefixes = ["20"]',
            "variable_measure[0].verifier_covers: say which field the V digit covers",
        ),
        (
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["20"]\n'
            '[[barcodes.variable_measure]]\npattern = "FFIIIIIWWWWWC"\nprefixes = ["19-20"]',
            "variable_measure[1].prefixes: 13-digit flag '20' is already used by "
            "variable_measure[0]",
        ),
    ],
)
def test_invalid_settings_name_source_key_and_problem(toml: str, expected: str) -> None:
    message = error_of(toml)
    assert message.startswith(SOURCE + ": [barcodes] ")
    assert expected in message


def test_18_digit_flags_that_alipay_codes_also_use_are_refused() -> None:
    message = error_of(
        '[[barcodes.variable_measure]]\npattern = "FFIIIIIWWWWWPPPPPC"\nprefixes = ["28"]'
    )
    assert "variable_measure[0].prefixes: 18-digit labels with flag '28' also match the alipay" in (
        message
    )


def test_flags_that_member_patterns_match_are_refused() -> None:
    message = error_of(
        '[barcodes]\nmember_patterns = ["2[0-9]{12}"]\n'
        '[[barcodes.variable_measure]]\npattern = "FFIIIIIPPPPPC"\nprefixes = ["21"]'
    )
    assert "flag '21' also match member_patterns[0]" in message


def test_default_layouts_do_not_fit_a_zero_decimal_currency() -> None:
    message = error_of('[barcodes]\ncurrency = "JPY"')
    assert "variable_measure[0].price_decimals: 2 is more than JPY has (0)" in message


def test_verifier_covers_picks_the_field_when_both_could_be_verified() -> None:
    layout = ScaleLabelLayout("FFIIIIVWWWWPC", ("20",), verifier_covers="weight")
    assert layout.value_letters == {"W", "P"}
    with pytest.raises(ConfigError, match="no 4- or 5-digit price field"):
        ScaleLabelLayout("FFIIIIVWWWWPC", ("20",), verifier_covers="price")


def test_a_caller_naming_the_section_is_not_repeated() -> None:
    with pytest.raises(ConfigError) as caught:
        BarcodeConfig.from_mapping({"colour": "red"}, "kiosk.toml: [barcodes]")
    assert str(caught.value).startswith("kiosk.toml: [barcodes] colour: unknown key")


def test_a_non_table_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be a table, got list"):
        BarcodeConfig.from_mapping([], SOURCE)  # type: ignore[arg-type]
