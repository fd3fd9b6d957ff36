"""Signatures both ways over loopback, and the payment code never in clear."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kiosk.payment.qr import DeclineReason, PollPolicy, QrSignatureError
from kiosk.payment.qr.alipay import AlipayApi
from kiosk.payment.qr.signing import (
    alipay_sign,
    load_private_key,
    parse_wechat_xml,
    wechat_sign,
    wechat_xml,
)
from kiosk.payment.qr.sim import PaymentProviderSimulator, Scenario
from kiosk.payment.qr.wechat import WeChatPayApi
from tests.payment.qr_support import PROVIDERS, FakeClock, code, credentials, make_provider


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PaymentProviderSimulator]:
    with PaymentProviderSimulator(tmp_path / "ledger.sqlite", credentials()) as simulator:
        yield simulator


def _post(url: str, body: bytes, content_type: str) -> bytes:
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        data: bytes = response.read()
    return data


def _wechat_micropay(sim: PaymentProviderSimulator, **changes: str) -> dict[str, str]:
    creds = credentials()
    params = {
        "appid": creds.wechat_appid,
        "mch_id": creds.wechat_mch_id,
        "nonce_str": "n1",
        "sign_type": "HMAC-SHA256",
        "body": "basket",
        "out_trade_no": "T1",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "auth_code": code("wechat", Scenario.SUCCESS),
    }
    params["sign"] = wechat_sign(params, creds.wechat_api_key)
    params.update(changes)  # after signing: tampering
    return parse_wechat_xml(_post(sim.url + "/pay/micropay", wechat_xml(params), "text/xml"))


def test_wechat_simulator_rejects_a_tampered_request_and_charges_nothing(
    sim: PaymentProviderSimulator,
) -> None:
    answer = _wechat_micropay(sim, total_fee="1")
    assert answer == {"return_code": "FAIL", "return_msg": "签名错误"}
    assert sim.ledger.orders() == []


def test_wechat_simulator_accepts_the_untampered_request(sim: PaymentProviderSimulator) -> None:
    answer = _wechat_micropay(sim)
    assert (answer["return_code"], answer["result_code"]) == ("SUCCESS", "SUCCESS")
    assert sim.ledger.charged("wechat") == {"T1": 100}


def test_alipay_simulator_rejects_a_tampered_request_and_charges_nothing(
    sim: PaymentProviderSimulator,
) -> None:
    creds = credentials()
    biz = {
        "out_trade_no": "T2",
        "scene": "bar_code",
        "auth_code": code("alipay", Scenario.SUCCESS),
        "subject": "basket",
        "total_amount": "1.00",
    }
    params = {
        "app_id": creds.alipay_app_id,
        "method": "alipay.trade.pay",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2025-01-01 12:00:00",
        "version": "1.0",
        "biz_content": json.dumps(biz),
    }
    params["sign"] = alipay_sign(params, load_private_key(creds.app_private_key))
    params["biz_content"] = params["biz_content"].replace("1.00", "0.01")
    body = _post(
        sim.alipay_gateway, urlencode(params).encode(), "application/x-www-form-urlencoded"
    )
    answer = json.loads(body)["alipay_trade_pay_response"]
    assert (answer["code"], answer["sub_code"]) == ("40002", "isv.invalid-signature")
    assert sim.ledger.orders() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_client_with_the_wrong_key_is_refused_as_a_merchant_problem(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    other = credentials().__class__.generate()
    wrong = (
        {"api_key": "0" * 32}
        if provider == "wechat"
        else {"app_private_key": other.app_private_key}
    )
    qr = make_provider(provider, sim, FakeClock(), None, **wrong)
    outcome = qr.charge_code("intent-k", 100, "CNY", code(provider, Scenario.SUCCESS))
    assert outcome.status == "declined"
    assert outcome.decline is DeclineReason.MERCHANT_CONFIG
    assert sim.ledger.orders() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tampered_answer_is_not_trusted(provider: str, sim: PaymentProviderSimulator) -> None:
    sim.settings.tamper_responses = True
    api = make_provider(provider, sim, FakeClock()).api
    assert isinstance(api, WeChatPayApi | AlipayApi)
    with pytest.raises(QrSignatureError):
        api.pay("T3", 100, "CNY", code(provider, Scenario.INSUFFICIENT_FUNDS), "basket")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tampered_answers_leave_the_payment_unknown_until_resolved(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    # A forged answer could say "declined" while the money was taken: never believe it.
    sim.settings.tamper_responses = True
    clock = FakeClock()
    qr = make_provider(provider, sim, clock, PollPolicy(bound_s=10.0))
    outcome = qr.charge_code("intent-t", 2500, "CNY", code(provider, Scenario.SUCCESS))
    assert outcome.status == "unknown"
    # The simulator did charge, and did obey the (unconfirmed) reversals.
    assert sim.ledger.charge_counts(provider) == {qr.order_number("intent-t"): 1}
    sim.settings.tamper_responses = False
    resolved = qr.resolve("intent-t")
    assert resolved.status == "declined"
    assert sim.ledger.charged(provider) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_payment_code_is_only_ever_masked(
    provider: str, sim: PaymentProviderSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    qr = make_provider(provider, sim, FakeClock(), PollPolicy(bound_s=10.0))
    codes = [code(provider, scenario, serial) for serial, scenario in enumerate(Scenario)]
    for n, payment_code in enumerate(codes):
        qr.charge_code(f"intent-m{n}", 100 + n, "CNY", payment_code, "basket")
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "*" * (len(codes[0]) - 4) + codes[0][-4:] in logged  # masked form is there
    stored = b"".join(p.read_bytes() for p in sim.ledger.path.parent.glob("ledger.sqlite*"))
    for payment_code in codes:
        assert payment_code not in logged
        assert payment_code.encode() not in stored
