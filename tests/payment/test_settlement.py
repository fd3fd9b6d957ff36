"""End-of-day settlement: per-method totals from the journal, checked against the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.terminal import ZvtTerminal
from drivers.simlink import TcpLink
from kiosk.app import local_now, open_checkout, seed_demo_store
from kiosk.cli import main
from kiosk.payment.methods import CardProvider
from kiosk.payment.stub import StubPaymentProvider


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_report_after_the_demo_shows_card_and_wechat_totals(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert kiosk("demo", "--data-dir", str(data)).returncode == 0
    result = kiosk("report", "end-of-day", "--data-dir", str(data), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["sales"] == 1
    methods = report["methods"]
    assert set(methods) == {"card", "wechat"}
    assert (
        methods["card"]["amount_minor"] + methods["wechat"]["amount_minor"] == report["total_minor"]
    )


def test_card_totals_are_compared_with_the_terminals_end_of_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = seed_demo_store(tmp_path / "d")
    with ZvtSimulator(TcpLink(), ledger=tmp_path / "zvt.db", step_s=0.01) as sim:
        checkout = open_checkout(config)
        stub = StubPaymentProvider(tmp_path / "stub.db")
        try:
            with ZvtTerminal(sim.url, currency=156) as terminal:
                for barcode in ("6920909000014", "6920707000049"):
                    checkout.scan(barcode)
                    checkout.start_checkout()
                    assert checkout.pay(CardProvider(terminal)).status == "approved"
                    checkout.finish(printed=True)
            # A stub payment the terminal never saw: not a card total.
            checkout.scan("6920101000010")
            checkout.start_checkout()
            checkout.pay(stub)
            checkout.finish(printed=True)
        finally:
            stub.close()
            checkout.close()
        args = ["report", "end-of-day", "--data-dir", str(config.paths.data_dir), "--json"]
        code = main([*args, "--pinpad-url", sim.url])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["date"] == local_now().date().isoformat()
    assert report["methods"]["card"] == {"payments": 2, "amount_minor": 1290 + 2990}
    assert report["methods"]["stub"]["amount_minor"] == 350
    assert report["terminal_card_total_minor"] == 1290 + 2990
    assert report["card_difference_minor"] == 0
