"""The receipt printer driver against its simulator over a real pty and a TCP socket."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.errors import TransportUrlError
from drivers.printer.errors import InvalidStatusByte, PrinterNotAnswering
from drivers.printer.escpos_printer import ReceiptPrinter, printer_url
from drivers.printer.receipt_reader import read_receipt
from drivers.printer.sim import PrinterSimulator, PtyPrinterSimulator, TcpPrinterSimulator
from drivers.printer.spool import PrintSpool
from drivers.printer.status import NotReady, PrinterStatus

SIMULATORS: dict[str, Callable[[], PrinterSimulator]] = {
    "pty": PtyPrinterSimulator,
    "tcp": TcpPrinterSimulator,
}


@pytest.fixture(params=sorted(SIMULATORS))
def sim(request: pytest.FixtureRequest) -> Iterator[PrinterSimulator]:
    with SIMULATORS[request.param]() as simulator:
        yield simulator


@pytest.fixture
def printer(sim: PrinterSimulator) -> Iterator[ReceiptPrinter]:
    with ReceiptPrinter(sim.url, status_timeout_s=0.3) as driver:
        yield driver


def receipt_bytes(printer: ReceiptPrinter, text: str) -> bytes:
    return printer.receipt().line(text).cut().to_bytes()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_healthy_printer_reports_online_and_is_ready(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    status = printer.status()
    assert status == PrinterStatus.from_bytes(b"\x12\x12\x12\x12")
    assert printer.ready().ok
    assert sim.model.status_requests == 8
    assert bytes(sim.model.received) == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04" * 2


@pytest.mark.parametrize(
    ("fault", "flag"),
    [
        ("paper_end", "paper_end"),
        ("paper_near_end", "paper_near_end"),
        ("cover_open", "cover_open"),
        ("cutter_jam", "cutter_error"),
        ("unrecoverable", "unrecoverable_error"),
        ("auto_recoverable", "auto_recoverable_error"),
        ("feed_button", "feed_button"),
    ],
)
def test_status_reports_each_fault_over_the_wire(
    sim: PrinterSimulator, printer: ReceiptPrinter, fault: str, flag: str
) -> None:
    sim.set_faults(**{fault: True})
    flags = printer.status().as_dict()
    assert flags[flag] is True
    others = {k for k, v in flags.items() if v is True} - {flag, "online"}
    # paper end implies near end (the roll passed the near-end sensor first)
    assert others <= {"paper_near_end"}


def test_status_reports_offline_without_a_cause(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(offline=True)
    status = printer.status()
    assert not status.online
    assert not status.cover_open
    assert not status.paper_end


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("paper_end", NotReady.PAPER_END),
        ("cover_open", NotReady.COVER_OPEN),
        ("offline", NotReady.OFFLINE),
        ("cutter_jam", NotReady.CUTTER_ERROR),
        ("unrecoverable", NotReady.UNRECOVERABLE_ERROR),
        ("silent", NotReady.NO_ANSWER),
        ("garbage", NotReady.INVALID_ANSWER),
    ],
)
def test_ready_refuses_payment_when_a_receipt_cannot_be_printed(
    sim: PrinterSimulator, printer: ReceiptPrinter, fault: str, reason: NotReady
) -> None:
    sim.set_faults(**{fault: True})
    answer = printer.ready()
    assert not answer.ok
    assert answer.reason is reason
    assert answer.detail
    sim.recover()
    assert printer.ready().ok


def test_ready_accepts_paper_near_end_with_a_warning(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(paper_near_end=True)
    answer = printer.ready()
    assert answer.ok
    assert any("near end" in w for w in answer.warnings)


def test_status_raises_typed_errors_for_no_answer_and_garbage(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(silent=True)
    with pytest.raises(PrinterNotAnswering, match="did not answer DLE EOT 1"):
        printer.status()
    sim.set_faults(silent=False, garbage=True)
    with pytest.raises(InvalidStatusByte, match="0xFF"):
        printer.status()
    health = printer.health()
    assert health.no_answers == 1
    assert health.invalid_answers == 1


def test_job_on_a_healthy_printer_is_printed_with_chinese_text(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    outcome = printer.print_job(receipt_bytes(printer, "谢谢惠顾 Thank you ¥12.50"), "t-1")
    assert outcome.printed
    assert outcome.pending == 0
    receipt = read_receipt(bytes(sim.model.printed))
    assert receipt.text == "谢谢惠顾 Thank you ￥12.50\n"
    assert receipt.cuts == 1


def test_job_is_kept_while_offline_and_printed_after_recovery(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(cover_open=True)
    first = printer.print_job(receipt_bytes(printer, "第一张 first"), "t-1")
    second = printer.print_job(receipt_bytes(printer, "第二张 second"), "t-2")
    assert not first.printed
    assert second.pending == 2
    assert first.reason is not None
    assert "cover is open" in first.reason
    assert bytes(sim.model.printed) == b""
    assert bytes(sim.model.discarded) == b""  # nothing was sent to the stopped printer

    sim.recover()
    assert printer.flush() is None
    text = read_receipt(bytes(sim.model.printed)).text
    assert text.index("第一张 first") < text.index("第二张 second")
    assert printer.spool.pending() == []
    assert printer.health().jobs_printed == 2


def test_job_survives_a_kiosk_restart_in_the_spool_file(
    sim: PrinterSimulator, tmp_path: Path
) -> None:
    spool_path = tmp_path / "spool" / "print.sqlite"
    sim.set_faults(paper_end=True)
    with ReceiptPrinter(sim.url, spool=spool_path, status_timeout_s=0.3) as before:
        assert not before.print_job(receipt_bytes(before, "重启 restart"), "t-9").printed
    sim.recover()
    with ReceiptPrinter(sim.url, spool=spool_path, status_timeout_s=0.3) as after:
        assert after.flush() is None
    assert "重启 restart" in read_receipt(bytes(sim.model.printed)).text


def test_same_job_id_is_printed_once(sim: PrinterSimulator, printer: ReceiptPrinter) -> None:
    data = receipt_bytes(printer, "once")
    assert printer.print_job(data, "t-1").printed
    assert printer.print_job(data, "t-1").printed
    assert bytes(sim.model.printed).count(b"once") == 1


def test_cutter_jam_during_a_job_keeps_it_for_reprinting(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(jam_next_cut=True)
    outcome = printer.print_job(receipt_bytes(printer, "torn"), "t-1")
    assert not outcome.printed
    assert outcome.reason is not None
    assert "cutter" in outcome.reason
    sim.recover()
    assert printer.flush() is None
    assert bytes(sim.model.printed).count(b"torn") == 2  # torn copy, then the reprint


def test_waiting_job_is_reported_stuck(sim: PrinterSimulator, tmp_path: Path) -> None:
    sim.set_faults(paper_end=True)
    with ReceiptPrinter(sim.url, status_timeout_s=0.3, stuck_after_s=0.0) as printer:
        printer.print_job(b"x", "t-1")
        [stuck] = printer.stuck_jobs()
        assert stuck.job_id == "t-1"
        assert stuck.attempts == 1
        assert stuck.last_error is not None
        assert "load a new roll" in stuck.last_error
        assert printer.health().jobs_stuck == 1
        assert printer.cancel_job("t-1")
        assert printer.stuck_jobs() == []


def test_retry_thread_prints_waiting_job_after_recovery(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    sim.set_faults(offline=True)
    assert not printer.print_job(receipt_bytes(printer, "later"), "t-1").printed
    printer.start()
    sim.recover()
    printer.kick()
    assert wait_until(lambda: b"later" in bytes(sim.model.printed))
    printer.stop()
    assert printer.spool.pending() == []


def test_unplugged_printer_refuses_keeps_the_job_and_reconnects_when_plugged(
    sim: PrinterSimulator, printer: ReceiptPrinter
) -> None:
    assert printer.ready().ok
    sim.unplug()
    answer = printer.ready()
    assert answer.reason is NotReady.NO_ANSWER
    assert not printer.print_job(receipt_bytes(printer, "after replug"), "t-1").printed
    sim.plug()
    assert wait_until(lambda: printer.ready().ok)
    assert printer.flush() is None
    assert "after replug" in read_receipt(bytes(sim.model.printed)).text
    assert printer.health().reconnects >= 1


def test_file_printer_cannot_report_status_but_receives_jobs(tmp_path: Path) -> None:
    out = tmp_path / "receipt.escpos"
    with ReceiptPrinter(f"file://{out}") as printer:
        answer = printer.ready()
        assert answer.ok
        assert answer.warnings
        assert printer.print_job(b"\x1b@paper", "t-1").printed
    assert out.read_bytes() == b"\x1b@paper"


def test_bad_url_is_rejected_when_the_printer_is_made() -> None:
    with pytest.raises(TransportUrlError, match="unknown scheme"):
        ReceiptPrinter("lpt://1")


def test_network_printer_url_defaults_to_port_9100() -> None:
    assert printer_url("tcp://192.0.2.7") == "tcp://192.0.2.7:9100"
    assert printer_url("tcp://192.0.2.7:9101") == "tcp://192.0.2.7:9101"
    assert printer_url("tcp://[2001:db8::7]") == "tcp://[2001:db8::7]:9100"
    assert printer_url("serial:///dev/ttyS0") == "serial:///dev/ttyS0"


def test_spool_keeps_order_and_attempts(tmp_path: Path) -> None:
    spool = PrintSpool(tmp_path / "s.sqlite", clock=lambda: 100.0)
    try:
        spool.add("b", b"2")
        spool.add("a", b"1")
        spool.record_failure("b", "paper end")
        assert [(j.job_id, j.attempts) for j in spool.pending()] == [("b", 1), ("a", 0)]
        spool.mark_printed("b")
        assert [j.job_id for j in spool.pending()] == ["a"]
        assert spool.get("b") is not None
        assert spool.stuck(older_than_s=0.0)[0].job_id == "a"
    finally:
        spool.close()
