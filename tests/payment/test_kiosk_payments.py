"""The kiosk's one payment factory: `[payment]` parsing, credentials, providers, prompts."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import demo_config_path, load_config, parse_config
from kiosk.payment.config import PaymentConfig, PaymentConfigError
from kiosk.payment.credentials import ProviderCredentials
from kiosk.payment.kiosk_payments import KioskPayments, PaymentSimulators
from kiosk.payment.prompts import PROMPT_KEYS, card_prompt
from kiosk.payment.qr.errors import QrConfigError
from kiosk.store.lane_lock import LaneBusy, LaneLock

BASE: dict[str, Any] = {
    "kiosk": {"id": "K9"},
    "store": {"id": "S1", "currency": "CNY"},
    "tax": {"standard": "13"},
}


def parse(payment: dict[str, Any]) -> PaymentConfig:
    return parse_config({**BASE, "payment": payment}, "kiosk.toml").payment


def test_a_store_kiosk_names_its_terminal_and_credentials(tmp_path: Path) -> None:
    config = parse(
        {
            "methods": ["card", "alipay"],
            "card": {"url": "tcp://10.0.0.5:20007", "password": "123456"},
            "qr": {"credentials": "/etc/kiosk/pay.json", "alipay_url": "https://gw.example"},
        }
    )
    assert config.methods == ("card", "alipay")
    assert not config.simulate
    assert config.card is not None
    assert (config.card.url, config.card.password) == ("tcp://10.0.0.5:20007", "123456")
    assert config.qr is not None
    assert config.qr.credentials == Path("/etc/kiosk/pay.json")
    assert config.qr.alipay_url == "https://gw.example"


@pytest.mark.parametrize(
    ("payment", "names"),
    [
        ({"methods": ["card", "paypal"]}, "[payment] methods: unknown paypal"),
        ({"methods": []}, "[payment] methods: expected a list"),
        ({"methods": ["card", "card"], "simulate": True}, "lists a method twice"),
        ({"methods": ["card"]}, "offers card but has no [payment.card]"),
        ({"methods": ["wechat"]}, "has no [payment.qr]"),
        ({"simulate": "yes"}, "[payment] simulate: expected true or false"),
        ({"simulate": True, "card": {"url": "tcp://h:1", "password": "12"}}, "6-digit"),
        ({"simulate": True, "card": {}}, "[payment.card] url: missing"),
        ({"simulate": True, "qr": {"credentials": "c.json", "x": 1}}, "unknown key(s): x"),
        ({"simulate": True, "cash": {}}, "[payment] unknown key(s): cash"),
    ],
)
def test_a_wrong_payment_section_names_file_table_and_key(
    payment: dict[str, Any], names: str
) -> None:
    with pytest.raises(PaymentConfigError) as error:
        parse(payment)
    assert "kiosk.toml" in str(error.value)
    assert names in str(error.value)


def test_relative_credentials_are_found_in_the_data_dir(tmp_path: Path) -> None:
    raw = {**BASE, "paths": {"data_dir": str(tmp_path)}}
    raw["payment"] = {"methods": ["wechat"], "qr": {"credentials": "pay.json"}}
    assert parse_config(raw, "k.toml").payment.qr.credentials == tmp_path / "pay.json"  # type: ignore[union-attr]


def test_without_a_payment_section_nothing_opens_until_one_is_written(tmp_path: Path) -> None:
    config = parse_config(BASE, "k.toml")
    with pytest.raises(PaymentConfigError, match="offers card but has no"):
        KioskPayments.open(config.payment, data_dir=tmp_path, currency="CNY")


def credentials_file(path: Path, mode: int, **change: object) -> Path:
    fields = {
        "wechat_appid": "wx1",
        "wechat_mch_id": "1900000001",
        "wechat_api_key": "k" * 32,
        "alipay_app_id": "2021000000000001",
        "app_private_key": "-----BEGIN PRIVATE KEY-----",
        "alipay_public_key": "-----BEGIN PUBLIC KEY-----",
        **change,
    }
    path.write_text(json.dumps(fields), encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_credentials_readable_by_others_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = credentials_file(tmp_path / "pay.json", 0o644)
    with pytest.raises(QrConfigError, match=r"readable by group or others; run: chmod 600"):
        ProviderCredentials.load(path)
    os.chmod(path, 0o600)
    creds = ProviderCredentials.load(path)
    assert creds.wechat_config("https://api.example").mch_id == "1900000001"
    assert creds.alipay_config("https://gw.example/").gateway_url == "https://gw.example/gateway.do"
    assert "k" * 32 not in repr(creds)  # secrets stay out of logs and tracebacks


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"wechat_appid": 5}', "missing or not text: wechat_appid, wechat_mch_id"),
    ],
)
def test_a_broken_credentials_file_is_named_with_what_is_wrong(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "pay.json"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    with pytest.raises(QrConfigError, match=says):
        ProviderCredentials.load(path)


def test_a_missing_credentials_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(QrConfigError, match=r"pay\.json: cannot read"):
        ProviderCredentials.load(tmp_path / "pay.json")


def test_the_demo_store_pays_through_in_process_simulators(tmp_path: Path) -> None:
    config = load_config(demo_config_path(), data_dir=tmp_path)
    payments = KioskPayments.open(config.payment, data_dir=tmp_path, currency="CNY")
    try:
        assert payments.methods == ("card", "wechat", "alipay")
        assert payments.simulators is not None
        prompts: list[str] = []
        card = payments.provider("card", None, prompts.append)
        assert card.charge("intent-1", 1290, "CNY").status == "approved"
        assert prompts == ["insert_card", "enter_pin", "processing", "remove_card"]
        wechat = payments.provider("wechat", "134567890123456791", prompts.append)
        assert wechat.charge("intent-2", 350, "CNY").status == "approved"
        assert payments.refund_provider("wechat").refund("intent-2", "r-1", 350).status == (
            "approved"
        )
        assert payments.simulators.ledger() == [
            ("card", 1290, "approved"),
            ("wechat", 350, "approved"),
        ]
        with pytest.raises(PaymentConfigError, match="'paypal' is not offered"):
            payments.provider("paypal", None, prompts.append)
    finally:
        payments.close()


def test_a_kiosk_points_the_real_clients_at_a_terminal_and_provider_by_config(
    tmp_path: Path,
) -> None:
    sims = PaymentSimulators(tmp_path / "elsewhere")  # as if on other hosts
    try:
        keys = tmp_path / "pay.json"
        keys.write_text(json.dumps(sims.credentials.kiosk_side().__dict__), encoding="utf-8")
        os.chmod(keys, 0o600)
        config = parse(
            {
                "card": {"url": sims.pinpad_url},
                "qr": {
                    "credentials": str(keys),
                    "wechat_url": sims.provider_url,
                    "alipay_url": sims.provider_url,
                },
            }
        )
        payments = KioskPayments.open(config, data_dir=tmp_path, currency="CNY")
        try:
            assert payments.simulators is None
            card = payments.provider("card", None, lambda _key: None)
            assert card.charge("intent-9", 500, "CNY").status == "approved"
            alipay = payments.provider("alipay", "281234567890123491", lambda _key: None)
            assert alipay.charge("intent-10", 700, "CNY").status == "approved"
        finally:
            payments.close()
        assert sims.ledger() == [("alipay", 700, "approved"), ("card", 500, "approved")]
    finally:
        sims.close()


def test_an_unreachable_card_terminal_is_a_clear_decline_not_an_unknown(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = parse({"methods": ["card"], "card": {"url": f"tcp://127.0.0.1:{port}"}})
    payments = KioskPayments.open(config, data_dir=tmp_path, currency="CNY")
    try:
        outcome = payments.provider("card", None, lambda _key: None).charge("i-3", 100, "CNY")
        assert outcome.status == "declined"  # nothing was sent: nothing can be charged
        assert "not reachable" in outcome.reason
    finally:
        payments.close()


@given(st.integers(0, 255))
def test_every_terminal_status_code_becomes_a_prompt_the_screen_has(code: int) -> None:
    assert card_prompt(code) in PROMPT_KEYS


def test_status_codes_map_to_what_the_shopper_must_do() -> None:
    assert card_prompt(0x0A) == "insert_card"
    assert card_prompt(0x01) == "enter_pin"
    assert card_prompt(0x0B) == "remove_card"
    assert card_prompt(0x4A) == "remove_card"  # 0x40 added: "... please remove card"
    assert card_prompt(0x0C) == "card_problem"
    assert card_prompt(0x04) == "processing"


def test_one_process_owns_a_journal_at_a_time(tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    lock = LaneLock.acquire(journal)
    with pytest.raises(LaneBusy, match=f"in use by process {os.getpid()}"):
        LaneLock.acquire(journal)
    lock.release()
    LaneLock.acquire(journal).release()
