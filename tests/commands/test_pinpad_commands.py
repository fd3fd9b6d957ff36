"""`kiosk pinpad ...` against the ZVT simulator, and `kiosk sim pinpad` as its own process."""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.simlink import PtyLink, TcpLink
from kiosk.cli import COMMAND_MODULES, build_parser
from kiosk.commands import devices
from kiosk.commands import pinpad as pinpad_commands
from kiosk.config import demo_config_path, load_config
from tests.drivers.waiting import wait_until


def build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk")
    sub = parser.add_subparsers(dest="command")
    devices.register(sub)
    pinpad_commands.register(sub)
    return parser


def run(*argv: str) -> int:
    args = build().parse_args(list(argv))
    code: int = args.func(args)
    return code


@pytest.fixture(params=["tcp", "pty"])
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ZvtSimulator]:
    link = TcpLink() if request.param == "tcp" else PtyLink("zvt-pinpad")
    with ZvtSimulator(link, ledger=tmp_path / "ledger.sqlite", step_s=0.02, down_s=0.3) as s:
        yield s


def test_pinpad_commands_are_registered_with_the_cli() -> None:
    assert "kiosk.commands.pinpad" in COMMAND_MODULES
    parser = build_parser()
    assert parser.parse_args(["pinpad", "status", "--url", "tcp://h:1"]).func is (
        pinpad_commands.run_status
    )
    args = parser.parse_args(["sim", "pinpad", "--port", "20007", "--scenario", "decline:71"])
    assert (args.func, args.port, args.scenario) == (pinpad_commands.run_sim, 20007, ["decline:71"])


def test_pay_prints_the_approval_as_json_and_intermediate_texts_on_stderr(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["pinpad", "pay", "12.34", "--url", sim.url, "--currency", "EUR", "--json"]
    assert run(*argv, "--reference", "tech-1") == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["status"] == "approved"
    assert (result["amount_minor"], result["currency"]) == (1234, "EUR")
    assert result["masked_pan"] == "************4242"
    assert result["reference"] == "tech-1"
    assert [r["kind"] for r in result["receipts"]] == ["merchant", "customer"]
    assert "terminal: insert card" in err
    assert sim.ledger.charged() == {"tech-1": 1234}


def test_pay_in_plain_text_shows_the_receipt(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("pinpad", "pay", "5", "--url", sim.url, "--currency", "EUR") == 0
    out = capsys.readouterr().out
    assert out.startswith("approved €5.00: receipt 1, trace 1, card VISA ************4242")
    assert "--- customer receipt ---" in out


def test_declined_payment_exits_1_with_the_result_code(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.queue("decline:71")
    assert run("pinpad", "pay", "1.00", "--url", sim.url, "--currency", "EUR", "--json") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "declined"
    assert (result["result_code"], result["text"]) == ("71", "credit not sufficient (chip-card)")


def test_unknown_outcome_exits_3_and_repeat_receipt_resolves_it(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.queue("drop-after-charge")
    argv = ["--url", sim.url, "--currency", "EUR", "--json"]
    assert run("pinpad", "pay", "2.50", *argv, "--reference", "tech-2") == 3
    unknown = json.loads(capsys.readouterr().out)
    assert unknown["status"] == "unknown"
    assert "link lost" in unknown["reason"]
    # A technician command opens the link once: wait until the terminal is back up.
    assert wait_until(lambda: sim.link.plugged)
    assert run("pinpad", "repeat-receipt", *argv) == 0
    last = json.loads(capsys.readouterr().out)
    assert (last["status"], last["reference"], last["amount_minor"]) == ("approved", "tech-2", 250)


def test_reverse_status_register_and_end_of_day(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--url", sim.url, "--currency", "EUR"]
    assert run("pinpad", "register", *common) == 0
    assert capsys.readouterr().out == "registered: terminal-id 52001233, currency EUR\n"
    assert run("pinpad", "status", *common) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ready: yes (PT ready)",
        "software: KIOSK-ZVT-SIM 1.0",
    ]
    assert run("pinpad", "pay", "3.00", *common, "--json") == 0
    receipt = json.loads(capsys.readouterr().out)["receipt_no"]
    assert run("pinpad", "pay", "4.00", *common) == 0
    capsys.readouterr()
    assert run("pinpad", "reverse", str(receipt), *common) == 0
    assert capsys.readouterr().out.startswith("reversed €3.00: receipt ")
    assert run("pinpad", "reverse", str(receipt), *common) == 1
    assert capsys.readouterr().out.startswith("declined: B4 already reversed")
    assert run("pinpad", "end-of-day", *common, "--json") == 0
    day = json.loads(capsys.readouterr().out)
    assert (day["status"], day["total_minor"], day["currency"]) == ("settled", 400, "EUR")
    assert day["cards"] == [{"card": "VISA", "count": 1, "amount_minor": 400}]


def test_refund_credits_the_card_and_prints_the_refund_as_json_or_text(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_parser().parse_args(["pinpad", "refund", "1", "--url", "tcp://h:1"]).func is (
        pinpad_commands.run_refund
    )
    common = ["--url", sim.url, "--currency", "EUR"]
    assert run("pinpad", "refund", "2.50", *common, "--reference", "tech-r1", "--json") == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert (result["status"], result["amount_minor"], result["currency"]) == (
        "approved",
        250,
        "EUR",
    )
    assert (result["reference"], result["masked_pan"]) == ("tech-r1", "************4242")
    assert isinstance(result["receipt_no"], int)
    assert isinstance(result["trace"], int)
    assert "REFUND / GUTSCHRIFT" in result["receipts"][1]["lines"]
    assert "terminal: insert card" in err
    assert run("pinpad", "refund", "1", *common) == 0
    assert capsys.readouterr().out.startswith("refunded €1.00: receipt 2, trace 2, card VISA")
    assert sim.ledger.refunded() == {"tech-r1": 250}
    assert sim.ledger.charged() == {}


def test_declined_refund_exits_1_and_a_lost_one_exits_3(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--url", sim.url, "--currency", "EUR", "--json"]
    sim.queue("decline:71", "drop-before-completion")
    assert run("pinpad", "refund", "1.00", *argv) == 1
    assert json.loads(capsys.readouterr().out)["result_code"] == "71"
    assert run("pinpad", "refund", "1.00", *argv, "--reference", "tech-r2") == 3
    assert json.loads(capsys.readouterr().out)["status"] == "unknown"
    assert wait_until(lambda: sim.link.plugged)
    assert run("pinpad", "repeat-receipt", *argv) == 0
    assert json.loads(capsys.readouterr().out)["reference"] == "tech-r2"
    assert sim.ledger.refunded() == {"tech-r2": 100}


def test_refund_of_nothing_is_refused_before_anything_is_sent(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("pinpad", "refund", "0", "--url", sim.url, "--currency", "EUR", "--json") == 1
    assert "must be positive" in json.loads(capsys.readouterr().out)["error"]
    assert sim.commands == []


def test_currency_comes_from_the_kiosk_config_without_currency_option(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_config_path()
    store_currency = load_config(config).store.currency
    argv = ["pinpad", "pay", "1.00", "--url", sim.url, "--config", str(config), "--json"]
    assert run(*argv) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == store_currency


@pytest.mark.parametrize(
    ("amount", "message"),
    [("12.345", "more than 2 decimals"), ("0", "must be positive"), ("abc", "not an amount")],
)
def test_bad_amount_is_refused_before_anything_is_sent(
    sim: ZvtSimulator, capsys: pytest.CaptureFixture[str], amount: str, message: str
) -> None:
    assert run("pinpad", "pay", amount, "--url", sim.url, "--currency", "EUR", "--json") == 1
    assert message in json.loads(capsys.readouterr().out)["error"]
    assert sim.commands == []


def test_unreachable_terminal_names_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    link = TcpLink()
    url = link.url
    link.close()
    assert run("pinpad", "status", "--url", url, "--currency", "EUR") == 1
    assert f"cannot open the card terminal at {url}" in capsys.readouterr().err


def test_unknown_currency_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("pinpad", "status", "--url", "tcp://127.0.0.1:9", "--currency", "XXX") == 1
    assert "unsupported currency 'XXX'" in capsys.readouterr().err


# --- kiosk sim pinpad (a separate process) --------------------------------------------------

SIM_CLI = """
import sys
from kiosk.cli import build_parser
args = build_parser().parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def start_sim(*argv: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SIM_CLI, "sim", "pinpad", "--step", "0.02", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop(proc: subprocess.Popen[str]) -> str:
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return err


def test_sim_pinpad_prints_its_tcp_url_plays_scenarios_and_keeps_a_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "charged.sqlite"
    proc, url = start_sim("--scenario", "decline:71", "--ledger", str(ledger))
    try:
        assert url.startswith("tcp://127.0.0.1:")
        common = ["--url", url, "--currency", "EUR", "--json"]
        assert run("pinpad", "pay", "1.00", *common, "--reference", "cli-1") == 1
        assert json.loads(capsys.readouterr().out)["result_code"] == "71"
        assert proc.stdin is not None
        proc.stdin.write("next shopper-abort\n")
        proc.stdin.flush()
        for _ in range(50):  # bounded: stdin is applied within milliseconds
            if run("pinpad", "pay", "2.00", *common, "--reference", "cli-2") == 1:
                break
            capsys.readouterr()
        assert json.loads(capsys.readouterr().out)["status"] == "aborted"
        assert run("pinpad", "pay", "3.00", *common, "--reference", "cli-3") == 0
    finally:
        stop(proc)
    assert proc.returncode == 0
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT reference, status, amount_minor FROM txn ORDER BY seq").fetchall()
    assert rows[0] == ("cli-1", "declined", 100)
    assert rows[-1] == ("cli-3", "approved", 300)


def test_sim_pinpad_on_a_pty_speaks_serial_framing(capsys: pytest.CaptureFixture[str]) -> None:
    proc, url = start_sim("--pty")
    try:
        assert url.startswith("pty://")
        assert run("pinpad", "pay", "9.99", "--url", url, "--currency", "EUR", "--json") == 0
        assert json.loads(capsys.readouterr().out)["amount_minor"] == 999
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_sim_pinpad_refuses_an_unknown_scenario() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SIM_CLI, "sim", "pinpad", "--scenario", "explode"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown pinpad scenario 'explode'" in result.stderr
