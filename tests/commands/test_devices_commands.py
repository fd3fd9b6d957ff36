"""`kiosk sim scanner|scale`, `kiosk scale read`, `kiosk scanner listen` (issue 4)."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from drivers.scale.sim import ScaleModel, SicsSimulator, Toledo8217Simulator
from drivers.scanner.sim import Code, Pause, ScannerSimulator, Step
from drivers.simlink import PtyLink, TcpLink
from kiosk.cli import COMMAND_MODULES
from kiosk.commands import devices


def build() -> argparse.ArgumentParser:
    """A `kiosk` parser with only the device commands registered."""
    parser = argparse.ArgumentParser(prog="kiosk")
    devices.register(parser.add_subparsers(dest="command"))
    return parser


def run(argv: list[str]) -> int:
    args = build().parse_args(argv)
    code: int = args.func(args)
    return code


def test_device_commands_are_registered_with_the_cli() -> None:
    assert "kiosk.commands.devices" in COMMAND_MODULES


def test_sim_is_shared_with_other_device_modules() -> None:
    def setup(sim: devices.Subparsers) -> None:
        sim.add_parser("example-device").set_defaults(func=lambda args: 7)

    parser = build()
    devices.add_sim_command("example-device", setup)  # after the parser exists: added at once
    try:
        args = parser.parse_args(["sim", "example-device"])
        assert args.func(args) == 7
        args = build().parse_args(["sim", "example-device"])  # and to every parser built later
        assert args.func(args) == 7
    finally:
        devices._sim_commands.pop("example-device")
    assert build().parse_args(["sim", "printer", "--tcp"]).sim_device == "printer"


# --- kiosk scale read ----------------------------------------------------------------------


@pytest.fixture
def sics_sim() -> Iterator[SicsSimulator]:
    with SicsSimulator(PtyLink("scale"), ScaleModel()) as sim:
        yield sim


def test_scale_read_json_prints_one_stable_weight(
    sics_sim: SicsSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sics_sim.model.place(1250, settle_steps=3)
    assert run(["scale", "read", "--driver", "mt-sics", "--url", sics_sim.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"weight_g": 1250, "stable": True}


def test_scale_read_toledo_over_tcp_in_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with Toledo8217Simulator(TcpLink()) as sim:
        sim.model.place(455, settle_steps=2)
        assert run(["scale", "read", "--driver", "toledo8217", "--url", sim.url]) == 0
    assert capsys.readouterr().out == "455 g (stable)\n"


def test_scale_read_reports_overload_and_exits_non_zero(
    sics_sim: SicsSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sics_sim.model.place(99_000)
    argv = ["scale", "read", "--driver", "mt-sics", "--url", sics_sim.url, "--json"]
    assert run([*argv, "--timeout", "0.3"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["status"] == "overload"
    assert report["weight_g"] is None
    assert "no stable weight" in report["error"]
    assert "overload" in captured.err


def test_scale_read_reports_a_silent_scale(
    sics_sim: SicsSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sics_sim.model.set_faults(silent=True)
    argv = ["scale", "read", "--driver", "mt-sics", "--url", sics_sim.url, "--json"]
    assert run(argv) == 1
    assert "did not answer" in json.loads(capsys.readouterr().out)["error"]


def test_scale_read_names_a_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["scale", "read", "--driver", "toledo8217", "--url", "com1:"]) == 1
    assert "bad device URL 'com1:'" in capsys.readouterr().err


def test_scale_read_names_an_absent_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["scale", "read", "--driver", "toledo8217", "--url", "/dev/ttyNOPE9"]) == 1
    assert "/dev/ttyNOPE9" in capsys.readouterr().err


# --- kiosk scanner listen -------------------------------------------------------------------


def test_scanner_listen_prints_each_scan_as_a_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script: list[Step] = [
        Pause(0.5),
        Code("4006381333931", "]E0"),
        Code("0104012345678901\x1d10LOT"),
    ]
    with ScannerSimulator(PtyLink("scanner"), script=script, gap_s=0.05) as sim:
        argv = ["scanner", "listen", "--url", sim.url, "--count", "2", "--timeout", "10"]
        assert run(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["data"], r["symbology"]) for r in lines] == [
        ("4006381333931", "]E0"),
        ("0104012345678901\x1d10LOT", None),
    ]
    assert all(r["source"] == sim.url for r in lines)


def test_scanner_listen_fails_when_too_few_scans_arrive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ScannerSimulator(TcpLink()) as sim:
        argv = ["scanner", "listen", "--url", sim.url, "--count", "1", "--timeout", "0.3"]
        assert run(argv) == 1
    assert "0 of 1 scans" in capsys.readouterr().err


def test_scanner_listen_names_a_bad_hid_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["scanner", "listen", "--url", "hid://scanner", "--timeout", "0.1"]) == 1
    assert "hid://scanner" in capsys.readouterr().err


# --- kiosk sim scanner / scale (a separate process, stopped by a signal) ----------------------

SIM_CLI = """
import argparse, sys
from kiosk.commands import devices
parser = argparse.ArgumentParser(prog="kiosk")
devices.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def start_sim(*argv: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SIM_CLI, "sim", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop(proc: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> str:
    try:
        proc.send_signal(how)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return err


@pytest.mark.parametrize("protocol", ["toledo8217", "mt-sics"])
def test_sim_scale_prints_its_url_and_a_driver_reads_it(
    protocol: str, capsys: pytest.CaptureFixture[str]
) -> None:
    proc, url = start_sim("scale", "--protocol", protocol, "--weight", "1250")
    try:
        assert url.startswith("pty://")
        assert run(["scale", "read", "--driver", protocol, "--url", url, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"weight_g": 1250, "stable": True}
        assert proc.stdin is not None
        proc.stdin.write("place 2000 0\n")
        proc.stdin.flush()
        for _ in range(50):  # bounded: the simulator applies stdin within milliseconds
            assert run(["scale", "read", "--driver", protocol, "--url", url, "--json"]) == 0
            if json.loads(capsys.readouterr().out)["weight_g"] == 2000:
                break
        else:
            pytest.fail("the simulator did not take the new load from stdin")
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_sim_scanner_over_tcp_types_codes_until_sigint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    proc, url = start_sim(
        "scanner",
        "--tcp",
        "--codes",
        "4006381333931",
        "--aim",
        "]E0",
        "--interval",
        "0.2",
        "--repeat",
    )
    try:
        assert url.startswith("tcp://127.0.0.1:")
        argv = ["scanner", "listen", "--url", url, "--count", "1", "--timeout", "10"]
        assert run(argv) == 0
        record = json.loads(capsys.readouterr().out)
        assert (record["data"], record["symbology"]) == ("4006381333931", "]E0")
    finally:
        stop(proc, signal.SIGINT)
    assert proc.returncode == 0
