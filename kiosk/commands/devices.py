"""`kiosk sim DEVICE`, `kiosk scale read`, `kiosk scanner listen`: devices by URL.

Technician commands for one device at a time (SPEC section 10), and simulators that
speak the real bytes and print the URL a driver connects to (SPEC section 4).

`kiosk sim` is shared: this module owns the `sim` parser and adds `scanner` and
`scale`; other modules add theirs with `add_sim_command(name, setup)`, or, for the
modules in `SIM_PROVIDERS`, with a `register_sim(sim_subparsers)` function.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from drivers.errors import DriverError
from drivers.scale import DRIVERS, ScaleNotStable, open_scale
from drivers.scale.sim import ScaleModel, make_scale_simulator
from drivers.scanner.factory import open_scanner
from drivers.scanner.serial_scanner import MODELS
from drivers.scanner.sim import Code, Pause, ScannerSimulator, Step
from drivers.simlink import make_link
from kiosk.commands.sim_support import stdin_lines, until_signalled

if TYPE_CHECKING:  # argparse's sub-parser action is generic only for type checkers
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    SimSetup: TypeAlias = Callable[[Subparsers], None]

# Modules with `register_sim(sim_subparsers)` that add `kiosk sim <device>`.
SIM_PROVIDERS: tuple[str, ...] = ("kiosk.commands.printer", "kiosk.commands.payment_provider")

_sim_commands: dict[str, SimSetup] = {}
_current: dict[str, Subparsers] = {}  # "sim": the `sim` sub-parsers of the latest parser


def add_sim_command(name: str, setup: SimSetup) -> None:
    """Register `kiosk sim NAME`; `setup(sim_subparsers)` adds its parser (any time)."""
    _sim_commands[name] = setup
    current = _current.get("sim")
    if current is not None and name not in current.choices:
        setup(current)


def register(subparsers: Subparsers) -> None:
    sim = subparsers.add_parser("sim", help="run a device simulator; prints the URL to use")
    sim_sub = sim.add_subparsers(dest="sim_device", metavar="DEVICE", required=True)
    _current["sim"] = sim_sub
    _register_sim_scanner(sim_sub)
    _register_sim_scale(sim_sub)
    for module_name in SIM_PROVIDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register_sim(sim_sub)
    for name, setup in _sim_commands.items():
        if name not in sim_sub.choices:
            setup(sim_sub)

    scale = subparsers.add_parser("scale", help="scale technician commands")
    scale_sub = scale.add_subparsers(dest="scale_command", metavar="ACTION", required=True)
    read = scale_sub.add_parser("read", help="print one stable weight or the scale's error")
    read.add_argument("--driver", required=True, choices=sorted(DRIVERS))
    read.add_argument("--url", required=True, help="e.g. serial:///dev/ttyUSB0, tcp://host:port")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for stability")
    read.set_defaults(func=run_scale_read)

    scanner = subparsers.add_parser("scanner", help="barcode scanner technician commands")
    scanner_sub = scanner.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)
    listen = scanner_sub.add_parser("listen", help="print each scan as a JSON line")
    listen.add_argument(
        "--url",
        required=True,
        help="serial:///dev/ttyACM0, pty://..., hid://VID:PID, hid:///dev/...",
    )
    listen.add_argument("--model", default="generic", choices=sorted(MODELS))
    listen.add_argument("--count", type=int, default=None, help="stop after N scans")
    listen.add_argument("--timeout", type=float, default=None, help="stop after S seconds")
    listen.set_defaults(func=run_scanner_listen)


# --- kiosk sim scanner -------------------------------------------------------------------------


def _register_sim_scanner(sim_sub: Subparsers) -> None:
    parser = sim_sub.add_parser("scanner", help="serial barcode scanner simulator")
    parser.add_argument("--codes", nargs="*", default=[], help="codes to scan, in order")
    parser.add_argument("--aim", default=None, help="AIM prefix for every code, e.g. ]E0")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scans")
    parser.add_argument("--repeat", action="store_true", help="scan the codes again and again")
    parser.add_argument("--tcp", action="store_true", help="on a TCP port instead of a pty")
    parser.add_argument("--baudrate", type=int, default=9600, help="pacing of the characters")
    parser.add_argument("--terminator", choices=["crlf", "cr", "lf"], default="crlf")
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    parser.set_defaults(func=run_sim_scanner)


def run_sim_scanner(args: argparse.Namespace) -> int:
    terminator = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n"}[args.terminator]
    script: list[Step] = [Pause(args.interval)]
    for code in args.codes:
        script += [Code(code, args.aim), Pause(args.interval)]
    simulator = ScannerSimulator(
        make_link("tcp" if args.tcp else "pty", "scanner"),
        script=script,
        terminator=terminator,
        baudrate=args.baudrate,
        gap_s=0.0,
        repeat=args.repeat and bool(args.codes),
    )

    def handle(line: str) -> None:
        words = line.split()
        if words[0] == "!unplug" and len(words) == 2:
            simulator.unplug(float(words[1]))
        else:
            simulator.scan(line, args.aim)

    with until_signalled() as done, simulator:
        print(simulator.url, flush=True)
        print("type a code per line to scan it, '!unplug S' or 'quit'", file=sys.stderr)
        stdin_lines(done, handle, "sim-scanner stdin")
        done.wait(args.duration)
    return 0


# --- kiosk sim scale --------------------------------------------------------------------------


def _register_sim_scale(sim_sub: Subparsers) -> None:
    parser = sim_sub.add_parser("scale", help="Toledo 8217 or MT-SICS scale simulator")
    parser.add_argument("--protocol", required=True, choices=sorted(DRIVERS))
    parser.add_argument("--weight", type=int, default=0, help="grams on the platter at start")
    parser.add_argument("--settle-steps", type=int, default=3, help="readings in motion")
    parser.add_argument("--capacity", type=int, default=15_000, help="grams")
    parser.add_argument("--tcp", action="store_true", help="on a TCP port instead of a pty")
    parser.add_argument(
        "--fault", choices=["silent", "garbage", "partial"], action="append", default=[]
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    parser.set_defaults(func=run_sim_scale)


def run_sim_scale(args: argparse.Namespace) -> int:
    model = ScaleModel(capacity_g=args.capacity)
    model.place(args.weight, settle_steps=args.settle_steps)
    if args.fault:
        model.set_faults(**dict.fromkeys(args.fault, True))
    simulator = make_scale_simulator(
        args.protocol, make_link("tcp" if args.tcp else "pty", f"scale-{args.protocol}"), model
    )

    def handle(line: str) -> None:
        words = line.split()
        try:
            if words[0] == "place" and len(words) in (2, 3):
                steps = int(words[2]) if len(words) == 3 else args.settle_steps
                model.place(int(words[1]), settle_steps=steps)
            elif words[0] == "wobble" and len(words) == 2:
                model.wobble(int(words[1]))
            elif words == ["remove-pan"]:
                model.remove_pan()
            elif words[0] in ("silent", "garbage", "partial") and words[1:] in (["on"], ["off"]):
                model.set_faults(**{words[0]: words[1] == "on"})
            else:
                raise ValueError(line)
        except (ValueError, IndexError):
            print(f"unknown command {line!r}", file=sys.stderr, flush=True)

    with until_signalled() as done, simulator:
        print(simulator.url, flush=True)
        print(
            "commands: 'place GRAMS [STEPS]', 'wobble STEPS', 'remove-pan', "
            "'silent|garbage|partial on|off', 'quit'",
            file=sys.stderr,
        )
        stdin_lines(done, handle, "sim-scale stdin")
        done.wait(args.duration)
    return 0


# --- kiosk scale read ---------------------------------------------------------------------------


def run_scale_read(args: argparse.Namespace) -> int:
    try:
        with open_scale(args.driver, args.url, reconnect=False) as scale:
            weight = scale.read_stable(args.timeout)
    except ScaleNotStable as exc:
        return _scale_error(args, str(exc), exc.last.as_dict() if exc.last else {})
    except DriverError as exc:
        return _scale_error(args, str(exc), {})
    if args.json:
        print(json.dumps(weight.as_dict()))
    else:
        print(f"{weight.grams} g (stable)")
    return 0


def _scale_error(args: argparse.Namespace, message: str, last: dict[str, object]) -> int:
    if args.json:
        print(json.dumps({"error": message, **{k: v for k, v in last.items() if k != "detail"}}))
    print(f"kiosk scale read: error: {message}", file=sys.stderr)
    return 1


# --- kiosk scanner listen -------------------------------------------------------------------


def run_scanner_listen(args: argparse.Namespace) -> int:
    try:
        scanner = open_scanner(args.url, model=args.model)
    except DriverError as exc:
        print(f"kiosk scanner listen: error: {exc}", file=sys.stderr)
        return 1
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    seen = 0
    with until_signalled() as done, scanner:
        while not done.is_set() and (args.count is None or seen < args.count):
            wait = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if wait <= 0:
                break
            scan = scanner.get(wait)
            if scan is None:
                continue
            seen += 1
            record = {
                "data": scan.data,
                "symbology": scan.symbology,
                "source": scan.source,
                "timestamp": scan.timestamp,
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
        health = scanner.health()
    if args.count is not None and seen < args.count:
        print(
            f"kiosk scanner listen: error: {seen} of {args.count} scans before the timeout "
            f"(connected: {health.connected}, last error: {health.last_error})",
            file=sys.stderr,
        )
        return 1
    return 0
