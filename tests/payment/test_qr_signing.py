"""Signing, canonicalisation and message parsing of both providers (property tests)."""

from __future__ import annotations

import functools
import json
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.payment.qr import QrCommunicationError, QrFormatError, QrSignatureError
from kiosk.payment.qr.alipay import AlipayApi, amount_text, parse_amount
from kiosk.payment.qr.ids import is_payment_code, order_number, refund_number
from kiosk.payment.qr.outcome import Answer
from kiosk.payment.qr.signing import (
    alipay_response,
    alipay_sign,
    alipay_verify_request,
    canonical_string,
    load_private_key,
    load_public_key,
    parse_wechat_xml,
    rsa2_sign,
    rsa2_verify,
    wechat_sign,
    wechat_verify,
    wechat_xml,
)
from kiosk.payment.qr.wechat import WeChatPayApi
from tests.payment.qr_support import credentials

KEY = "192006250b4c09247ec02edce69f6a2d"
names = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)
# Text XML 1.0 can carry (no control characters, no surrogates).
values = st.text(
    st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff", min_codepoint=1
    ),
    max_size=40,
)
params = st.dictionaries(names.filter(lambda n: n != "sign"), values, max_size=8)


def test_wechat_sign_matches_the_documented_example() -> None:
    # pay.weixin.qq.com v2 签名生成算法: the worked example's MD5 and HMAC-SHA256 values.
    example = {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
    }
    assert wechat_sign(example, KEY, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"
    assert wechat_sign(example, KEY, "HMAC-SHA256") == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )


def test_canonical_string_sorts_and_drops_sign_and_empty_values() -> None:
    assert canonical_string({"b": "2", "a": "1", "sign": "x", "c": ""}) == "a=1&b=2"


@given(params, st.randoms())
def test_canonical_string_ignores_parameter_order(p: dict[str, str], rnd: object) -> None:
    items = list(p.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert canonical_string(dict(items)) == canonical_string(p)


@given(params, st.sampled_from(["MD5", "HMAC-SHA256"]))
def test_wechat_signature_verifies_and_any_change_breaks_it(p: dict[str, str], kind: str) -> None:
    signed = {**p, "sign_type": kind}
    signed["sign"] = wechat_sign(signed, KEY)
    wechat_verify(signed, KEY, kind)
    changed = {**signed, "total_fee": signed.get("total_fee", "") + "1"}
    with pytest.raises(QrSignatureError):
        wechat_verify(changed, KEY, kind)


@given(params)
def test_wechat_xml_round_trips(p: dict[str, str]) -> None:
    assert parse_wechat_xml(wechat_xml(p)) == p


@given(st.binary(max_size=300))
def test_wechat_parser_raises_only_format_errors_on_random_bytes(data: bytes) -> None:
    try:
        fields = parse_wechat_xml(data)
    except QrFormatError:
        return
    assert all(isinstance(v, str) for v in fields.values())


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>',
        b"<xml><a><b>1</b></a></xml>",
        b"<xml><a>1</a><a>2</a></xml>",
        b"<other><a>1</a></other>",
    ],
)
def test_wechat_parser_refuses_dtds_nesting_duplicates_and_other_roots(data: bytes) -> None:
    with pytest.raises(QrFormatError):
        parse_wechat_xml(data)


@given(params)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
def test_alipay_request_signature_verifies_and_any_change_breaks_it(p: dict[str, str]) -> None:
    creds = credentials()
    private = load_private_key(creds.app_private_key)
    public = load_public_key(creds.app_public_key)
    signed = {**p, "sign": alipay_sign(p, private)}
    alipay_verify_request(signed, public)
    with pytest.raises(QrSignatureError):
        alipay_verify_request({**signed, "total_amount": p.get("total_amount", "") + "0"}, public)


@given(st.dictionaries(names, st.one_of(values, st.integers(), st.booleans()), max_size=6))
@settings(max_examples=25)
def test_alipay_response_text_is_cut_exactly_and_verifies(inner: dict[str, object]) -> None:
    creds = credentials()
    raw = json.dumps(inner, ensure_ascii=False, indent=1)  # any spacing: bytes as sent
    sign = rsa2_sign(raw, load_private_key(creds.alipay_private_key))
    body = f'{{ "alipay_trade_pay_response" : {raw} , "sign":"{sign}"}}'.encode()
    cut, parsed, got_sign = alipay_response(body, "alipay_trade_pay_response")
    assert (cut, parsed, got_sign) == (raw, inner, sign)
    rsa2_verify(cut, got_sign, load_public_key(creds.alipay_public_key))
    with pytest.raises(QrSignatureError):
        rsa2_verify(cut + " ", got_sign, load_public_key(creds.alipay_public_key))


@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_alipay_parser_raises_only_format_errors_on_random_bytes(data: bytes) -> None:
    try:
        _raw, parsed, sign = alipay_response(data, "alipay_trade_pay_response")
    except QrFormatError:
        return
    assert isinstance(parsed, dict)
    assert isinstance(sign, str)


@given(st.integers(min_value=0, max_value=10**12))
def test_alipay_amount_text_round_trips(fen: int) -> None:
    assert parse_amount(amount_text(fen)) == fen


@pytest.mark.parametrize("text", ["1.234", "-1.00", "abc", "NaN", "Infinity", "", None, 12])
def test_alipay_amount_parser_refuses_what_is_not_yuan_fen(text: object) -> None:
    with pytest.raises(QrFormatError):
        parse_amount(text)


@given(st.text(min_size=1, max_size=80), st.from_regex(r"[A-Za-z0-9_]{0,12}", fullmatch=True))
def test_order_numbers_fit_both_providers_and_are_stable(intent: str, prefix: str) -> None:
    number = order_number(intent, prefix)
    assert len(number) == 32
    assert number.startswith(prefix)
    assert number.isascii()
    assert number.replace("_", "").isalnum()
    assert number == order_number(intent, prefix)
    assert refund_number(intent, prefix) != number


@given(st.text(max_size=40))
def test_only_digit_strings_are_payment_codes(text: str) -> None:
    assert is_payment_code(text) == (text.isascii() and text.isdigit() and 10 <= len(text) <= 32)


# --- answers: random (validly signed) payloads never escape as anything but typed errors ---

wechat_fields = st.dictionaries(
    st.sampled_from(
        [
            "return_code",
            "result_code",
            "err_code",
            "trade_state",
            "total_fee",
            "transaction_id",
            "out_trade_no",
            "recall",
            "appid",
            "mch_id",
            "refund_id",
        ]
    ),
    st.one_of(
        st.sampled_from(["SUCCESS", "FAIL", "USERPAYING", "NOTENOUGH", "REFUND", "Y", "12"]),
        values,
    ),
)


@given(wechat_fields, st.sampled_from(["pay", "query", "reverse", "refund"]))
@settings(max_examples=150)
def test_wechat_answers_map_to_answers_or_typed_errors(fields: dict[str, str], call: str) -> None:
    creds = credentials()
    signed = {**fields, "sign": wechat_sign(fields, creds.wechat_api_key, "HMAC-SHA256")}
    api = _wechat_api()
    with mock.patch("kiosk.payment.qr.wechat.post", return_value=wechat_xml(signed)):
        try:
            answer = _call(api, call)
        except QrCommunicationError:
            return
    assert isinstance(answer, Answer)


alipay_fields = st.dictionaries(
    st.sampled_from(
        [
            "code",
            "sub_code",
            "trade_status",
            "total_amount",
            "trade_no",
            "out_trade_no",
            "retry_flag",
            "action",
        ]
    ),
    st.one_of(
        st.sampled_from(
            [
                "10000",
                "10003",
                "40004",
                "20000",
                "ACQ.SYSTEM_ERROR",
                "TRADE_SUCCESS",
                "1.00",
                "Y",
                "refund",
            ]
        ),
        values,
        st.integers(),
        st.none(),
    ),
)


@given(alipay_fields, st.sampled_from(["pay", "query", "reverse", "refund"]))
@settings(max_examples=100)
def test_alipay_answers_map_to_answers_or_typed_errors(
    fields: dict[str, object], call: str
) -> None:
    creds = credentials()
    raw = json.dumps(fields, ensure_ascii=False)
    sign = rsa2_sign(raw, load_private_key(creds.alipay_private_key))
    method = {"pay": "pay", "query": "query", "reverse": "cancel", "refund": "refund"}[call]
    body = f'{{"alipay_trade_{method}_response":{raw},"sign":"{sign}"}}'.encode()
    api = _alipay_api()
    with mock.patch("kiosk.payment.qr.alipay.post", return_value=body):
        try:
            answer = _call(api, call)
        except QrCommunicationError:
            return
    assert isinstance(answer, Answer)


@functools.cache
def _wechat_api() -> WeChatPayApi:
    return WeChatPayApi(credentials().wechat_config("http://127.0.0.1:9"))


@functools.cache
def _alipay_api() -> AlipayApi:
    return AlipayApi(credentials().alipay_config("http://127.0.0.1:9"))


def _call(api: WeChatPayApi | AlipayApi, call: str) -> Answer:
    if call == "pay":
        return api.pay("T1", 100, "CNY", "134567890123456791", "basket")
    if call == "query":
        return api.query("T1")
    if call == "reverse":
        return api.reverse("T1")
    return api.refund("T1", "R1", 50, 100)
