"""`kiosk printer test|status` and `kiosk sim printer`: the receipt printer by URL.

Technician commands for one printer at a time (issue "Technician commands"): print a
test receipt (Chinese and English text, an EAN-13, a QR code, a cut) and show the
printer's real-time status; and run the printer simulator that speaks the same
bytes, printing the URL a driver connects to.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import fields
from typing import Any, TextIO

from drivers.errors import DriverError
from drivers.printer.escpos_printer import ReceiptPrinter
from drivers.printer.receipt_reader import read_receipt
from drivers.printer.sim import Faults, PrinterSimulator, PtyPrinterSimulator, TcpPrinterSimulator
from drivers.printer.status import Readiness
from kiosk.commands.sim_support import until_signalled

TEST_EAN13 = "6901234567892"  # a GS1 China (690-699) GTIN-13 with a valid check digit
TEST_QR = "https://example.com/kiosk/printer-test"
FAULT_NAMES = tuple(f.name for f in fields(Faults))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("printer", help="receipt printer: test receipt, status")
    commands = parser.add_subparsers(dest="printer_command", metavar="ACTION", required=True)

    test = commands.add_parser("test", help="print a test receipt and show the printer status")
    _common_options(test)
    test.set_defaults(func=run_test)

    status = commands.add_parser("status", help="show the printer's real-time status")
    _common_options(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=run_status)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        required=True,
        help="printer URL: serial:///dev/ttyUSB0?baudrate=19200, tcp://host[:9100], "
        "file:///dev/usb/lp0, usb://VID:PID",
    )
    parser.add_argument("--codec", choices=["gb18030", "gbk"], default="gb18030")
    parser.add_argument("--timeout", type=float, default=1.0, help="status answer timeout (s)")


def register_sim(sim_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `printer` to the `kiosk sim` device list (called from kiosk.commands.devices)."""
    parser = sim_subparsers.add_parser(
        "printer", help="ESC/POS receipt printer simulator on a pty or TCP port"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="on a pseudo-terminal (default)")
    where.add_argument("--tcp", action="store_true", help="on a TCP port, like port 9100")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=FAULT_NAMES,
        help="start with this fault (repeatable); change faults later on stdin",
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.set_defaults(func=run_sim)


# -- kiosk printer test / status --------------------------------------------------------


def _open(args: argparse.Namespace) -> ReceiptPrinter:
    return ReceiptPrinter(
        args.url, codec=args.codec, status_timeout_s=args.timeout, reconnect=False
    )


def test_receipt(printer: ReceiptPrinter) -> bytes:
    """The test receipt: both languages, an EAN-13, a QR code, a cut."""
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    return (
        printer.receipt()
        .style(align="center", bold=True, double_height=True)
        .line("打印机测试 Printer test")
        .style(align="left")
        .line(f"时间 Time: {when}")
        .line("中文：欢迎光临，谢谢惠顾！")
        .line("English: Welcome, thank you!")
        .line("合计 Total: ￥12.50")
        .style(align="center")
        .ean13(TEST_EAN13)
        .qr(TEST_QR)
        .feed(2)
        .cut()
        .to_bytes()
    )


def run_test(args: argparse.Namespace) -> int:
    try:
        with _open(args) as printer:
            outcome = printer.print_job(test_receipt(printer), f"test-{time.time_ns()}")
            if outcome.printed:
                print(f"test receipt sent to {printer.url}")
            else:
                print(f"test receipt NOT printed: {outcome.reason}", file=sys.stderr)
            answer = printer.ready()
    except DriverError as exc:
        print(f"kiosk printer test: error: {exc}", file=sys.stderr)
        return 1
    _print_readiness(answer, sys.stdout)
    return 0 if outcome.printed and answer.ok else 1


def status_json(url: str, answer: Readiness) -> dict[str, Any]:
    return {
        "url": url,
        "ready": answer.ok,
        "reason": None if answer.reason is None else answer.reason.value,
        "detail": answer.detail,
        "warnings": list(answer.warnings),
        "status": None if answer.status is None else answer.status.as_dict(),
    }


def run_status(args: argparse.Namespace) -> int:
    try:
        with _open(args) as printer:
            answer = printer.ready()
            url = printer.url
    except DriverError as exc:
        if args.json:
            print(json.dumps({"url": args.url, "error": str(exc)}, ensure_ascii=False))
        else:
            print(f"kiosk printer status: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(status_json(url, answer), ensure_ascii=False))
    else:
        print(f"printer: {url}")
        _print_readiness(answer, sys.stdout)
    return 0 if answer.ok else 1


def _print_readiness(answer: Readiness, out: TextIO) -> None:
    if answer.ok:
        print("ready: yes", file=out)
    else:
        reason = answer.reason.value if answer.reason else "unknown"
        print(f"ready: no ({reason}: {answer.detail})", file=out)
    for warning in answer.warnings:
        print(f"warning: {warning}", file=out)
    if answer.status is not None:
        for key, value in answer.status.as_dict().items():
            shown = value if isinstance(value, str) else ("yes" if value else "no")
            print(f"  {key}: {shown}", file=out)


# -- kiosk sim printer ------------------------------------------------------------------


def run_sim(args: argparse.Namespace) -> int:
    simulator: PrinterSimulator = (
        TcpPrinterSimulator(host=args.host, port=args.port) if args.tcp else PtyPrinterSimulator()
    )
    if args.fault:
        simulator.set_faults(**dict.fromkeys(args.fault, True))
    with until_signalled() as done, simulator:
        print(simulator.url, flush=True)
        print(
            f"fault names: {', '.join(FAULT_NAMES)}; type 'NAME on|off', 'recover', "
            "'receipt' or 'quit'",
            file=sys.stderr,
            flush=True,
        )
        commands = threading.Thread(
            target=_read_commands, args=(simulator, done), name="sim-printer stdin", daemon=True
        )
        commands.start()
        done.wait(args.duration)
        done.set()
        _print_receipt(simulator, sys.stderr)
    return 0


def _read_commands(simulator: PrinterSimulator, done: threading.Event) -> None:
    """Fault control on stdin, one command a line; EOF just stops listening."""
    for line in sys.stdin:
        if done.is_set():
            return
        words = line.split()
        if not words:
            continue
        if words == ["quit"]:
            done.set()
            return
        if words == ["recover"]:
            simulator.recover()
        elif words == ["receipt"]:
            _print_receipt(simulator, sys.stderr)
            continue
        elif len(words) == 2 and words[0] in FAULT_NAMES and words[1] in ("on", "off"):
            simulator.set_faults(**{words[0]: words[1] == "on"})
        else:
            print(f"unknown command {line.strip()!r}", file=sys.stderr, flush=True)
            continue
        print(f"faults: {_active(simulator.model.faults)}", file=sys.stderr, flush=True)


def _active(faults: Faults) -> str:
    return ", ".join(name for name in FAULT_NAMES if getattr(faults, name)) or "none"


def _print_receipt(simulator: PrinterSimulator, out: TextIO) -> None:
    data = bytes(simulator.model.printed)
    print(f"received {len(simulator.model.received)} bytes, printed {len(data)}", file=out)
    try:
        receipt = read_receipt(data)
    except DriverError as exc:
        print(f"(cannot decode the printed bytes: {exc})", file=out)
        return
    print(receipt.text, file=out, end="" if receipt.text.endswith("\n") else "\n")
    for kind, code in receipt.barcodes:
        print(f"[barcode GS k {kind}: {code}]", file=out)
    for code in receipt.qr_codes:
        print(f"[QR: {code}]", file=out)
    print(f"[cuts: {receipt.cuts}]", file=out, flush=True)
