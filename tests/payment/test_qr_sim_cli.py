"""`kiosk sim payment-provider`: prints its URL and serves real payments."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from kiosk.cli import build_parser
from kiosk.payment.qr import PollPolicy, WeChatPayMicropay
from kiosk.payment.qr.sim import Scenario, SimCredentials, SimLedger
from kiosk.payment.qr.sim_scenario import SUFFIXES
from tests.payment.qr_support import FakeClock, code


def test_sim_payment_provider_is_a_kiosk_sim_device() -> None:
    args = build_parser().parse_args(
        [
            "sim",
            "payment-provider",
            "--port",
            "0",
            "--provider",
            "alipay",
            "--scenario",
            "network-drop",
        ]
    )
    assert (args.provider, args.scenario, args.port) == ("alipay", "network-drop", 0)
    assert callable(args.func)


def test_sim_payment_provider_prints_its_url_and_records_what_it_charged(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "sim",
            "payment-provider",
            "--ledger",
            str(ledger),
            "--duration",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        credentials = SimCredentials.load(ledger.with_name("ledger.sqlite.keys.json"))
        clock = FakeClock()
        qr = WeChatPayMicropay(
            credentials.wechat_config(url), PollPolicy(), clock=clock, sleep=clock.sleep
        )
        outcome = qr.charge_code("cli-intent", 321, "CNY", code("wechat", Scenario.SUCCESS))
        assert outcome.status == "approved"
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert all(f"..{suffix}" in err for suffix in SUFFIXES)
    reopened = SimLedger(ledger)
    try:
        assert reopened.charged("wechat") == {qr.order_number("cli-intent"): 321}
    finally:
        reopened.close()
