"""`kiosk printer test|status` against the printer simulator (issue 4, technician commands)."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from drivers.printer.escpos_printer import ReceiptPrinter
from drivers.printer.receipt_reader import read_receipt
from drivers.printer.sim import PrinterSimulator, PtyPrinterSimulator, TcpPrinterSimulator
from drivers.printer.status import NotReady
from kiosk.cli import COMMAND_MODULES
from kiosk.commands import devices as devices_commands
from kiosk.commands import printer as printer_commands


def run(argv: list[str]) -> int:
    """Parse and run like `kiosk`, with only the printer commands registered."""
    parser = argparse.ArgumentParser(prog="kiosk")
    printer_commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture(params=["pty", "tcp"])
def sim(request: pytest.FixtureRequest) -> Iterator[PrinterSimulator]:
    factory = PtyPrinterSimulator if request.param == "pty" else TcpPrinterSimulator
    with factory() as simulator:
        yield simulator


def test_printer_commands_are_registered_with_the_cli() -> None:
    assert "kiosk.commands.printer" in COMMAND_MODULES


def test_printer_test_prints_both_languages_ean13_qr_and_cut(
    sim: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["printer", "test", "--url", sim.url]) == 0
    out = capsys.readouterr().out
    assert f"test receipt sent to {sim.url}" in out
    assert "ready: yes" in out
    receipt = read_receipt(bytes(sim.model.printed))
    assert "打印机测试 Printer test" in receipt.text
    assert "中文：欢迎光临，谢谢惠顾！" in receipt.text
    assert "English: Welcome, thank you!" in receipt.text
    assert receipt.barcodes == [(2, printer_commands.TEST_EAN13)]  # GS k m=2: EAN-13
    assert receipt.qr_codes == [printer_commands.TEST_QR]
    assert receipt.cuts == 1


def test_printer_test_on_a_printer_without_paper_prints_nothing_and_fails(
    sim: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.set_faults(paper_end=True)
    assert run(["printer", "test", "--url", sim.url, "--timeout", "0.3"]) == 1
    captured = capsys.readouterr()
    assert "NOT printed: paper roll is empty" in captured.err
    assert "ready: no (paper_end" in captured.out
    assert bytes(sim.model.printed) == b""


def test_printer_status_json_for_a_healthy_printer(
    sim: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["printer", "status", "--url", sim.url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ready"] is True
    assert report["reason"] is None
    assert report["status"]["online"] is True
    assert report["status"]["raw"] == "12 12 12 12"


@pytest.mark.parametrize(
    ("fault", "reason", "flag"),
    [
        ("cover_open", "cover_open", "cover_open"),
        ("paper_end", "paper_end", "paper_end"),
        ("cutter_jam", "cutter_error", "cutter_error"),
    ],
)
def test_printer_status_json_names_the_fault_and_exits_1(
    sim: PrinterSimulator,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    reason: str,
    flag: str,
) -> None:
    sim.set_faults(**{fault: True})
    assert run(["printer", "status", "--url", sim.url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ready"] is False
    assert report["reason"] == reason
    assert report["status"][flag] is True


def test_printer_status_text_for_a_silent_printer(
    sim: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.set_faults(silent=True)
    assert run(["printer", "status", "--url", sim.url, "--timeout", "0.2"]) == 1
    out = capsys.readouterr().out
    assert "ready: no (no_answer: printer at" in out
    assert "did not answer DLE EOT 1" in out


def test_printer_status_for_an_unreachable_printer_reports_the_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with TcpPrinterSimulator() as sim:
        url = sim.url
    assert run(["printer", "status", "--url", url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["url"] == url
    assert "cannot connect" in report["error"]


def test_printer_status_rejects_a_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["printer", "status", "--url", "lpt://1"]) == 1
    assert "unknown scheme" in capsys.readouterr().err


SIM_CLI = """
import argparse, sys
from kiosk.commands import printer
parser = argparse.ArgumentParser(prog="kiosk")
sim = parser.add_subparsers().add_parser("sim").add_subparsers()
printer.register_sim(sim)
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


@pytest.mark.parametrize("where", ["--pty", "--tcp"])
def test_sim_printer_prints_its_url_and_takes_faults_on_stdin(where: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SIM_CLI, "sim", "printer", where, "--fault", "paper_near_end"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("pty://" if where == "--pty" else "tcp://127.0.0.1:")
        with ReceiptPrinter(url, status_timeout_s=1.0) as driver:
            assert driver.ready().warnings == ("paper near end: replace the roll soon",)
            proc.stdin.write("cover_open on\n")
            proc.stdin.flush()
            assert wait_for(lambda: driver.ready().reason is NotReady.COVER_OPEN)
            proc.stdin.write("recover\n")
            proc.stdin.flush()
            assert wait_for(lambda: driver.ready().ok and not driver.ready().warnings)
            assert driver.print_job(
                driver.receipt().line("你好 hello").cut().to_bytes(), "j"
            ).printed
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "faults: paper_near_end, cover_open\nfaults: none\n" in err
    assert "你好 hello" in err  # the simulator shows the receipt it printed
    assert "[cuts: 1]" in err


def test_sim_printer_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SIM_CLI, "sim", "printer", "--tcp"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("tcp://")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_kiosk_sim_printer_is_wired_into_the_shared_sim_parser() -> None:
    parser = argparse.ArgumentParser(prog="kiosk")
    devices_commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sim", "printer", "--tcp", "--fault", "cover_open"])
    assert args.func is printer_commands.run_sim
    assert args.tcp
    assert args.fault == ["cover_open"]
