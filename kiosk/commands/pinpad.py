"""`kiosk pinpad ...` and `kiosk sim pinpad`: a ZVT card terminal by URL (SPEC section 10).

Technician commands for installing and testing a real terminal in a store (issue 5):
register the kiosk, pay a small amount, reverse it, refund to a card, ask the status,
run the end-of-day, and show the terminal's last transaction. Intermediate texts
("insert card") go to stderr as they arrive; the result goes to stdout, as one JSON
object with `--json`.

Exit codes: 0 approved / done, 1 declined, aborted or an error, 3 outcome unknown (the
link broke mid-payment: `kiosk pinpad repeat-receipt` tells what the terminal did).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from drivers.pinpad.zvt import (
    Aborted,
    Approved,
    Declined,
    EndOfDay,
    IntermediateUpdate,
    TransactionOutcome,
    Unknown,
    ZvtError,
    ZvtTerminal,
    ZvtTimeouts,
)
from drivers.pinpad.zvt.sim import ZvtSimulator
from drivers.pinpad.zvt.sim_scenarios import SCENARIOS, ZVT_PORT, parse_scenario
from drivers.simlink import PtyLink, TcpLink
from kiosk.commands.devices import add_sim_command
from kiosk.commands.sim_support import until_signalled
from kiosk.domain.money import CURRENCIES, Money, currency
from kiosk.errors import ConfigError, KioskError

EXIT_UNKNOWN = 3

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("pinpad", help="card terminal (ZVT) technician commands")
    actions = parser.add_subparsers(dest="pinpad_command", metavar="ACTION", required=True)

    registration = actions.add_parser("register", help="register the kiosk with the terminal")
    _common_options(registration)
    registration.set_defaults(func=run_register)

    pay = actions.add_parser("pay", help="pay AMOUNT (major units, e.g. 12.34) by card")
    pay.add_argument("amount", metavar="AMOUNT", help="amount in major units, e.g. 12.34")
    pay.add_argument("--reference", default=None, help="ECR reference sent in BMP 3C")
    _common_options(pay)
    pay.set_defaults(func=run_pay)

    refund = actions.add_parser("refund", help="refund AMOUNT (major units) to a card (06 31)")
    refund.add_argument("amount", metavar="AMOUNT", help="amount in major units, e.g. 12.34")
    refund.add_argument("--reference", default=None, help="ECR reference sent in BMP 3C")
    _common_options(refund)
    refund.set_defaults(func=run_refund)

    reverse = actions.add_parser("reverse", help="reverse the payment with receipt number RECEIPT")
    reverse.add_argument("receipt", metavar="RECEIPT", type=int, help="terminal receipt number")
    _common_options(reverse)
    reverse.set_defaults(func=run_reverse)

    status = actions.add_parser("status", help="status enquiry: is the terminal ready")
    _common_options(status)
    status.set_defaults(func=run_status)

    end_of_day = actions.add_parser("end-of-day", help="settle the day and print the totals")
    _common_options(end_of_day)
    end_of_day.set_defaults(func=run_end_of_day)

    repeat = actions.add_parser("repeat-receipt", help="the terminal's last transaction")
    _common_options(repeat)
    repeat.set_defaults(func=run_repeat_receipt)

    add_sim_command("pinpad", register_sim)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        required=True,
        help="terminal URL: tcp://HOST:20007, serial:///dev/ttyUSB0 (9600 8N2 by default)",
    )
    parser.add_argument("--currency", default=None, help="ISO code, e.g. EUR (default: config)")
    parser.add_argument("--config", type=Path, default=None, help="kiosk config for the currency")
    parser.add_argument("--password", default="000000", help="terminal password (6 digits)")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds the terminal may stay silent (T4)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


# --- helpers ---------------------------------------------------------------------------------


def _currency_code(args: argparse.Namespace) -> str:
    """--currency, else the store currency of --config (or the installed kiosk config)."""
    if args.currency:
        return currency(args.currency.upper()).code
    from kiosk.commands.hardware import DEFAULT_CONFIG  # noqa: PLC0415 (heavy import)
    from kiosk.config import load_config  # noqa: PLC0415

    path = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    if path is None:
        raise ConfigError(
            f"no currency: give --currency CODE (e.g. EUR) or --config FILE ({DEFAULT_CONFIG} "
            "does not exist)"
        )
    return load_config(path).store.currency


def _alpha(numeric: int | None, fallback: str) -> str:
    for cur in CURRENCIES.values():
        if cur.numeric == numeric:
            return cur.code
    return fallback


def _show_status(update: IntermediateUpdate) -> None:
    print(f"terminal: {update.text}", file=sys.stderr, flush=True)


@contextmanager
def _terminal(args: argparse.Namespace, code: str) -> Iterator[ZvtTerminal]:
    terminal = ZvtTerminal(
        args.url,
        password=args.password,
        currency=currency(code).numeric,
        timeouts=ZvtTimeouts(completion_s=args.timeout),
        on_status=_show_status,
        reconnect=False,
    )
    with terminal:
        yield terminal


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    print(f"kiosk pinpad {args.pinpad_command}: error: {message}", file=sys.stderr)
    return 1


def _receipts_json(outcome: Approved | Declined | Aborted | Unknown | EndOfDay) -> list[Any]:
    return [{"kind": r.kind, "lines": list(r.lines)} for r in outcome.receipts]


def outcome_json(outcome: TransactionOutcome, code: str) -> dict[str, Any]:
    """One JSON object for a transaction outcome (card number masked, as the driver gives it)."""
    data: dict[str, Any] = {"status": outcome.status}
    if isinstance(outcome, Approved):
        data |= {
            "amount_minor": outcome.amount_minor,
            "currency": _alpha(outcome.currency, code),
            "receipt_no": outcome.receipt_no,
            "trace": outcome.trace,
            "masked_pan": outcome.masked_pan,
            "card_type": outcome.card_type,
            "card_name": outcome.card_name,
            "terminal_id": outcome.terminal_id,
            "date": outcome.date,
            "time": outcome.time,
            "reference": outcome.reference,
            "original_trace": outcome.original_trace,
        }
    elif isinstance(outcome, Declined | Aborted):
        data |= {"result_code": f"{outcome.result_code:02X}", "text": outcome.text}
    else:
        data["reason"] = outcome.reason
    data["receipts"] = _receipts_json(outcome)
    return data


def _report(
    args: argparse.Namespace, outcome: TransactionOutcome, code: str, *, done: str = "approved"
) -> int:
    """Print `outcome`; `done` names an approval in plain text ("refunded" for 06 31)."""
    if args.json:
        print(json.dumps(outcome_json(outcome, code), ensure_ascii=False))
    else:
        if isinstance(outcome, Approved):
            amount = Money(outcome.amount_minor, _alpha(outcome.currency, code)).format("en")
            what = "reversed" if outcome.original_trace is not None else done
            print(
                f"{what} {amount}: receipt {outcome.receipt_no}, trace {outcome.trace}, "
                f"card {outcome.card_name or outcome.card_type} {outcome.masked_pan or ''}".rstrip()
            )
        elif isinstance(outcome, Declined | Aborted):
            print(f"{outcome.status}: {outcome.result_code:02X} {outcome.text}")
        else:
            print(f"unknown: {outcome.reason}")
            print("resolve with: kiosk pinpad repeat-receipt --url ...", file=sys.stderr)
        for receipt in outcome.receipts:
            print(f"--- {receipt.kind} receipt ---")
            print(receipt.text)
    if isinstance(outcome, Approved):
        return 0
    return EXIT_UNKNOWN if isinstance(outcome, Unknown) else 1


# --- technician commands ------------------------------------------------------------------------


def _on_terminal(
    args: argparse.Namespace, action: Callable[[ZvtTerminal], T]
) -> tuple[T, str] | int:
    """Run one command on the terminal: (its answer, the currency code), or the exit code
    of a failure already reported."""
    try:
        code = _currency_code(args)
        with _terminal(args, code) as terminal:
            return action(terminal), code
    except (ZvtError, KioskError) as exc:
        return _fail(args, str(exc))


def run_register(args: argparse.Namespace) -> int:
    done = _on_terminal(args, lambda terminal: terminal.register())
    if isinstance(done, int):
        return done
    result, code = done
    shown = _alpha(result.currency, code)
    if args.json:
        print(json.dumps({"terminal_id": result.terminal_id, "currency": shown}))
    else:
        print(f"registered: terminal-id {result.terminal_id}, currency {shown}")
    return 0


def _money_command(args: argparse.Namespace, refund: bool) -> int:
    """`pay` or `refund` AMOUNT: the same checks, one terminal command."""
    try:
        code = _currency_code(args)
        amount = Money.parse(args.amount, code)
        if amount.minor <= 0:
            return _fail(args, f"amount must be positive, got {args.amount!r}")
        with _terminal(args, code) as terminal:
            send = terminal.refund if refund else terminal.authorize
            outcome = send(amount.minor, reference=args.reference)
    except (ZvtError, KioskError) as exc:
        return _fail(args, str(exc))
    if refund:
        return _report(args, outcome, code, done="refunded")
    return _report(args, outcome, code)


def run_pay(args: argparse.Namespace) -> int:
    return _money_command(args, refund=False)


def run_refund(args: argparse.Namespace) -> int:
    return _money_command(args, refund=True)


def run_reverse(args: argparse.Namespace) -> int:
    done = _on_terminal(args, lambda terminal: terminal.reverse(args.receipt))
    return done if isinstance(done, int) else _report(args, *done)


def run_repeat_receipt(args: argparse.Namespace) -> int:
    done = _on_terminal(args, lambda terminal: terminal.repeat_receipt())
    return done if isinstance(done, int) else _report(args, *done)


def run_status(args: argparse.Namespace) -> int:
    done = _on_terminal(args, lambda terminal: terminal.status())
    if isinstance(done, int):
        return done
    status, _code = done
    if args.json:
        payload = {
            "ready": status.ready,
            "code": f"{status.code:02X}",
            "text": status.text,
            "software_version": status.software_version,
        }
        print(json.dumps(payload))
    else:
        print(f"ready: {'yes' if status.ready else 'no'} ({status.text})")
        if status.software_version:
            print(f"software: {status.software_version}")
    return 0 if status.ready else 1


def run_end_of_day(args: argparse.Namespace) -> int:
    done = _on_terminal(args, lambda terminal: terminal.end_of_day())
    if isinstance(done, int):
        return done
    outcome, code = done
    if not isinstance(outcome, EndOfDay):
        return _report(args, outcome, code)
    shown = _alpha(outcome.currency, code)
    cards = [] if outcome.totals is None else [c for c in outcome.totals.cards if c.count]
    if args.json:
        payload = {
            "status": outcome.status,
            "total_minor": outcome.total_minor,
            "currency": shown,
            "trace": outcome.trace,
            "cards": [
                {"card": c.card, "count": c.count, "amount_minor": c.amount_minor} for c in cards
            ],
            "receipts": _receipts_json(outcome),
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(f"settled: total {Money(outcome.total_minor, shown).format('en')}")
        for c in cards:
            print(f"  {c.card}: {c.count} x, {Money(c.amount_minor, shown).format('en')}")
        for receipt in outcome.receipts:
            print(f"--- {receipt.kind} receipt ---")
            print(receipt.text)
    return 0


# --- kiosk sim pinpad ----------------------------------------------------------------------------


def register_sim(sim_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pinpad` to `kiosk sim` (through `devices.add_sim_command`)."""
    parser = sim_subparsers.add_parser(
        "pinpad", help="ZVT card terminal simulator on a TCP port (default) or a pty"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--tcp", action="store_true", help="raw APDUs on TCP (default)")
    where.add_argument("--pty", action="store_true", help="serial framing on a pseudo-terminal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=0, help=f"TCP port (0: any free port; ZVT's is {ZVT_PORT})"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help=f"next payment's (or refund's) scenario, repeatable, in order: "
        f"{', '.join(SCENARIOS)} "
        "(decline:CODE with a hex result code)",
    )
    parser.add_argument("--default", default="approve", help="scenario once the list is used up")
    parser.add_argument("--ledger", type=Path, default=None, help="SQLite file of what it charged")
    parser.add_argument("--step", type=float, default=0.5, help="seconds per terminal step")
    parser.add_argument("--print-mode", choices=["lines", "blocks"], default="lines")
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    parser.set_defaults(func=run_sim)


def run_sim(args: argparse.Namespace) -> int:
    try:
        for name in [*args.scenario, args.default]:
            parse_scenario(name)
    except ZvtError as exc:
        print(f"kiosk sim pinpad: error: {exc}", file=sys.stderr)
        return 2
    link: PtyLink | TcpLink = PtyLink("zvt-pinpad") if args.pty else TcpLink(args.host, args.port)
    simulator = ZvtSimulator(
        link,
        ledger=args.ledger,
        scenarios=tuple(args.scenario),
        default=args.default,
        step_s=args.step,
        print_mode=args.print_mode,
    )
    with until_signalled() as done, simulator:
        print(simulator.url, flush=True)
        print(
            "commands: 'next SCENARIO', 'unplug', 'plug', 'ledger', 'quit'",
            file=sys.stderr,
            flush=True,
        )
        threading.Thread(
            target=_sim_commands, args=(simulator, done), name="sim-pinpad stdin", daemon=True
        ).start()
        done.wait(args.duration)
        done.set()
    return 0


def _sim_commands(simulator: ZvtSimulator, done: threading.Event) -> None:
    """Scenario control on stdin, one command a line; EOF just stops listening."""
    for line in sys.stdin:
        if done.is_set():
            return
        words = line.split()
        try:
            if words == ["quit"]:
                done.set()
                return
            if len(words) == 2 and words[0] == "next":
                simulator.queue(words[1])
            elif words == ["unplug"]:
                simulator.unplug()
            elif words == ["plug"]:
                simulator.plug()
            elif words == ["ledger"]:
                print(json.dumps(simulator.ledger.charged()), file=sys.stderr, flush=True)
            elif words:
                raise ZvtError(f"unknown command {line.strip()!r}")
        except ZvtError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
