"""`kiosk devices` and `kiosk selftest` against the simulators (issue 4, "Device manager")."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.printer.receipt_reader import read_receipt
from drivers.printer.sim import PtyPrinterSimulator, TcpPrinterSimulator
from drivers.scale.events import ScaleStatus, Weight
from drivers.scale.sim import ScaleModel, SicsSimulator, Toledo8217Simulator
from drivers.scanner.sim import Code, Pause, ScannerSimulator, Step
from drivers.simlink import PtyLink, TcpLink
from kiosk import cli
from kiosk.commands import hardware
from kiosk.commands.printer import TEST_EAN13

MINIMAL_KIOSK = """
[kiosk]
id = "K07"
[store]
id = "S1"
address = "1 Market St"
tax_id = "T-1"
currency = "CNY"
[tax]
standard = "13"
"""


def run(argv: list[str]) -> int:
    """Parse and run like `kiosk`, with only the hardware commands registered."""
    parser = argparse.ArgumentParser(prog="kiosk")
    hardware.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@dataclass
class Rig:
    """Hardware stand-ins the test drives: a scanner that keeps reading a code (pty), a
    printer (TCP), an MT-SICS produce scale (pty), a Toledo bagging scale (TCP)."""

    scanner: ScannerSimulator
    printer: TcpPrinterSimulator
    produce: SicsSimulator
    bagging: Toledo8217Simulator

    def urls(self) -> dict[str, str]:
        return {
            "main_scanner": self.scanner.url,
            "receipt_printer": self.printer.url,
            "produce_scale": self.produce.url,
            "bagging_scale": self.bagging.url,
        }


@pytest.fixture
def rig() -> Iterator[Rig]:
    script: list[Step] = [Pause(0.3), Code(TEST_EAN13, "]E0")]
    with (
        ScannerSimulator(PtyLink("scanner"), script=script, repeat=True) as scanner,
        TcpPrinterSimulator() as printer,
        SicsSimulator(PtyLink("produce"), ScaleModel()) as produce,
        Toledo8217Simulator(TcpLink(), ScaleModel()) as bagging,
    ):
        yield Rig(scanner, printer, produce, bagging)


def write_config(path: Path, urls: dict[str, str]) -> Path:
    """A kiosk config with the four roles at `urls`."""
    lines = [MINIMAL_KIOSK]
    drivers = {
        "main_scanner": 'driver = "serial-scanner"\nmodel = "datalogic"',
        "receipt_printer": 'driver = "escpos"',
        "produce_scale": 'driver = "mt-sics"\npoll_ms = 50',
        "bagging_scale": 'driver = "toledo8217"\npoll_ms = 50',
    }
    for role, driver in drivers.items():
        lines.append(f'[devices.{role}]\n{driver}\nurl = "{urls[role]}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_hardware_commands_are_registered_with_the_cli() -> None:
    assert "kiosk.commands.hardware" in cli.COMMAND_MODULES


def test_selftest_simulate_passes_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["selftest", "--simulate", "--scan-timeout", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("self-test: 4 of 4 devices passed\n")
    assert "PASS  main_scanner: serial-scanner at pty://" in out
    assert "read *********7892 (]E0)" in out
    assert "test receipt printed, printer ready" in out
    assert "stable weight 0 g" in out
    assert "FAIL" not in out


def test_selftest_simulate_json_through_the_real_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "selftest", "--simulate", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is True
    assert [d["role"] for d in report["devices"]] == [
        "main_scanner",
        "receipt_printer",
        "produce_scale",
        "bagging_scale",
    ]
    assert all(d["passed"] and d["simulated"] for d in report["devices"])


def test_selftest_on_configured_devices_prints_a_real_test_receipt(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig.produce.model.place(1250, settle_steps=3)
    config = write_config(tmp_path / "kiosk.toml", rig.urls())
    assert run(["selftest", "--config", str(config), "--json", "--scan-timeout", "10"]) == 0
    report = json.loads(capsys.readouterr().out)
    details = {d["role"]: d["detail"] for d in report["devices"]}
    assert report["passed"] is True
    assert details["produce_scale"] == "stable weight 1250 g"
    assert details["bagging_scale"] == "stable weight 0 g"
    assert details["main_scanner"] == "read *********7892 (]E0)"
    receipt = read_receipt(bytes(rig.printer.model.printed))
    assert "打印机测试 Printer test" in receipt.text
    assert receipt.cuts == 1


def test_selftest_fails_a_printer_out_of_paper_and_an_overloaded_scale_with_the_fix(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig.printer.set_faults(paper_end=True)
    rig.bagging.model.place(20_000)
    config = write_config(tmp_path / "kiosk.toml", rig.urls())
    code = run(
        ["selftest", "--config", str(config), "--scan-timeout", "10", "--weigh-timeout", "1"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("self-test: 2 of 4 devices passed\n")
    assert (
        "FAIL  receipt_printer: escpos at tcp://127.0.0.1:"
        in out  # the printer, then what is wrong and what to do
    )
    assert (
        "not ready (paper_end): paper roll is empty: load a new roll; no test receipt printed"
        in out
    )
    assert (
        "no stable weight within 1 s: overloaded: take the load off the platter "
        "(status 0x02: over capacity)" in out
    )
    assert "PASS  produce_scale" in out
    assert "PASS  main_scanner" in out
    assert bytes(rig.printer.model.printed) == b""  # nothing sent to a printer without paper


def test_selftest_reports_a_scanner_that_is_absent_or_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        ScannerSimulator(PtyLink("quiet"), gap_s=0.0) as quiet,
        PtyPrinterSimulator() as printer,
        SicsSimulator(PtyLink("p")) as produce,
        Toledo8217Simulator(PtyLink("b")) as bagging,
    ):
        urls = {
            "main_scanner": quiet.url,
            "receipt_printer": printer.url,
            "produce_scale": produce.url,
            "bagging_scale": bagging.url,
        }
        silent = write_config(tmp_path / "silent.toml", urls)
        assert run(["selftest", "--config", str(silent), "--scan-timeout", "0.3", "--json"]) == 1
        silent_report = json.loads(capsys.readouterr().out)
        urls["main_scanner"] = str(tmp_path / "no-such-tty")
        absent = write_config(tmp_path / "absent.toml", urls)
        assert run(["selftest", "--config", str(absent), "--scan-timeout", "0.3", "--json"]) == 1
        absent_report = json.loads(capsys.readouterr().out)
    quiet_result = silent_report["devices"][0]
    assert quiet_result["role"] == "main_scanner"
    assert quiet_result["passed"] is False
    assert quiet_result["detail"] == (
        "connected, but no scan within 0.3 s: scan a barcode during the test; "
        "check that the scanner sends CR/LF after each code"
    )
    absent_result = absent_report["devices"][0]
    assert absent_result["passed"] is False
    assert absent_result["detail"].startswith("not connected (")
    assert "no-such-tty" in absent_result["detail"]
    assert absent_result["detail"].endswith("check the cable, power and the configured URL")
    assert [d["passed"] for d in absent_report["devices"][1:]] == [True, True, True]


@pytest.mark.parametrize(
    ("last", "advice"),
    [
        (None, "no reading within 2 s: check power, cable and baud rate"),
        (
            Weight(1240, False, ScaleStatus.OK, 0.0),
            "no stable weight within 2 s: never settled: keep the platter still; "
            "check that nothing touches it",
        ),
        (
            Weight(-20, True, ScaleStatus.OK, 0.0),
            "below zero: empty the platter and zero the scale",
        ),
        (
            Weight(None, False, ScaleStatus.UNDERLOAD, 0.0),
            "no stable weight within 2 s: underload: check that the weighing pan is in place",
        ),
    ],
)
def test_scale_advice_says_what_to_do(last: Weight | None, advice: str) -> None:
    assert hardware.scale_advice(last, 2.0) == advice


def test_devices_simulate_json_lists_every_device_connected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["devices", "--simulate", "--json", "--wait", "10"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["simulate"] is True
    devices = {d["role"]: d for d in report["devices"]}
    assert list(devices) == ["main_scanner", "receipt_printer", "produce_scale", "bagging_scale"]
    assert all(d["connected"] and d["state"] == "running" for d in devices.values())
    assert devices["receipt_printer"]["detail"] == "ready"
    assert devices["produce_scale"]["detail"] == "0 g, stable"


def test_devices_shows_a_fault_and_exits_1(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig.printer.set_faults(cover_open=True)
    config = write_config(tmp_path / "kiosk.toml", rig.urls())
    assert run(["devices", "--config", str(config), "--wait", "10"]) == 1
    out = capsys.readouterr().out
    assert f"receipt_printer: escpos at {rig.printer.url}\n" in out
    assert "  fault: cover_open: printer cover is open: close it\n" in out
    assert "bagging_scale: toledo8217 at tcp://127.0.0.1:" in out
    assert "  running, connected; 0 g, stable\n" in out


def test_devices_without_roles_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(MINIMAL_KIOSK, encoding="utf-8")
    assert run(["devices", "--config", str(config)]) == 0
    assert "no devices configured" in capsys.readouterr().out


def test_selftest_without_roles_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(MINIMAL_KIOSK, encoding="utf-8")
    assert cli.main(["selftest", "--config", str(config)]) == 1
    assert "kiosk selftest: error: nothing to test" in capsys.readouterr().err


def test_a_missing_config_file_stops_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    assert cli.main(["selftest", "--config", str(missing)]) == 1
    assert f"kiosk selftest: error: {missing}: cannot read" in capsys.readouterr().err


def test_a_bad_device_key_stops_with_file_role_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        MINIMAL_KIOSK + '[devices.receipt_printer]\ndriver = "escpos"\nurl = "lpt://1"\n',
        encoding="utf-8",
    )
    assert cli.main(["devices", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"kiosk devices: error: {config}: [devices.receipt_printer] url: " in err
    assert "unknown scheme 'lpt'" in err
