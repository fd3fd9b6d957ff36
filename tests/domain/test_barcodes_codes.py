"""Payment codes (付款码) never land in the basket and are never shown; member codes."""

from __future__ import annotations

import json

import pytest

from kiosk.domain.barcodes import BarcodeConfig, InvalidBarcode, ScanKind, parse_scan, parser

CONFIG = BarcodeConfig()
WECHAT = "134567890123456789"  # 18 digits, starts 13
ALIPAY = "287654321098765432"  # 18 digits, starts 28
UNIONPAY = "6212345678901234567"  # 19 digits, starts 62


@pytest.mark.parametrize(
    ("code", "provider"),
    [
        (WECHAT, "wechat"),
        ("104567890123456789", "wechat"),
        (ALIPAY, "alipay"),
        ("2512345678901234", "alipay"),  # 16 digits
        ("301234567890123456789012", "alipay"),  # 24 digits
        (UNIONPAY, "unionpay"),
    ],
)
def test_payment_codes_are_recognised_per_provider(code: str, provider: str) -> None:
    result = parse_scan(code, CONFIG)
    assert result.kind is ScanKind.PAYMENT_CODE
    assert result.payment_provider == provider
    assert result.payment_code == code  # in clear for the provider call only
    assert (result.gtin, result.item_code, result.price_minor) == (None, None, None)


def test_payment_code_from_a_phone_screen_with_identifier() -> None:
    for identifier in ("]C0", "]Q1"):
        result = parse_scan(identifier + WECHAT, CONFIG)
        assert result.kind is ScanKind.PAYMENT_CODE
        assert result.symbology == identifier


@pytest.mark.parametrize("code", [WECHAT, ALIPAY, UNIONPAY])
def test_payment_code_never_appears_in_clear_outside_the_result_field(code: str) -> None:
    result = parse_scan(code, CONFIG)
    assert code not in repr(result)
    assert code not in str(result)
    assert code not in json.dumps(result.to_json())
    assert result.to_json()["raw"] == "*" * (len(code) - 4) + code[-4:]


@pytest.mark.parametrize(
    "code",
    [
        "16" + "0" * 16,  # 18 digits starting 16: no provider's pattern today
        "99" + "1" * 20,
    ],
)
def test_unclassified_payment_like_numbers_are_unknown_and_masked(code: str) -> None:
    result = parse_scan(code, CONFIG)
    assert result.kind is ScanKind.UNKNOWN
    assert result.is_sensitive
    assert code not in repr(result)
    assert code not in json.dumps(result.to_json())


def test_error_message_masks_a_payment_like_input() -> None:
    code = "]E0" + WECHAT  # an EAN identifier cannot carry 18 digits
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(code, CONFIG)
    assert WECHAT not in str(caught.value)
    assert WECHAT[-4:] in caught.value.shown
    assert caught.value.reason == "]E0 (EAN/UPC) data has 6-8, 12 or 13 digits, got 18"


def test_ean_identifier_never_makes_a_payment_code() -> None:
    # 13 digits read as EAN stay a product even with a pattern that would match them.
    config = BarcodeConfig(payment_codes=(("testpay", "69[0-9]{11}"),))
    assert parse_scan("]E06901234567892", config).kind is ScanKind.GTIN
    assert parse_scan("6901234567892", config).kind is ScanKind.PAYMENT_CODE


def test_member_code_with_default_pattern() -> None:
    result = parse_scan("M0012345678", CONFIG)
    assert result.kind is ScanKind.MEMBER
    assert result.member_id == "M0012345678"


def test_member_pattern_with_an_id_group() -> None:
    config = BarcodeConfig(member_patterns=(r"VIP-(?P<id>[0-9]{8})",))
    result = parse_scan("]Q1VIP-20250001", config)
    assert (result.kind, result.member_id, result.symbology) == (
        ScanKind.MEMBER,
        "20250001",
        "]Q1",
    )


def test_member_url_prefix() -> None:
    config = BarcodeConfig(member_url_prefixes=("https://vip.example.cn/m/",))
    result = parse_scan("https://vip.example.cn/m/AbC_123", config)
    assert (result.kind, result.member_id) == (ScanKind.MEMBER, "AbC_123")
    other = parse_scan("https://vip.example.cn/m/", config)
    assert other.kind is ScanKind.UNKNOWN


def test_payment_patterns_come_from_config() -> None:
    config = BarcodeConfig(payment_codes=(("newpay", "77[0-9]{16}"),))
    assert parse_scan("77" + "1" * 16, config).payment_provider == "newpay"
    # The defaults are replaced, not merged.
    assert parse_scan(WECHAT, config).kind is ScanKind.UNKNOWN


def test_an_internal_failure_still_surfaces_as_invalid_barcode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The contract (SPEC section 3) holds even if a bug slips into a sub-parser.
    def broken(*args: object) -> object:
        raise KeyError("oops")

    monkeypatch.setattr(parser, "_by_content", broken)
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan("hello", CONFIG)
    assert caught.value.reason == "internal parser error (KeyError)"
    assert isinstance(caught.value.__cause__, KeyError)

    def leaky(body: str, *args: object) -> object:
        raise ValueError(f"cannot handle {body}")

    monkeypatch.setattr(parser, "_by_content", leaky)
    with pytest.raises(InvalidBarcode) as caught:
        parse_scan(WECHAT, CONFIG)
    assert caught.value.__cause__ is None  # its message would quote the payment code
    assert WECHAT not in str(caught.value)
