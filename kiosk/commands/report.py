"""`kiosk report end-of-day`: the day's settlement per payment method, from the journal."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from drivers.pinpad.zvt.outcome import EndOfDay
from drivers.pinpad.zvt.terminal import ZvtTerminal
from kiosk.app import local_now
from kiosk.config import demo_config_path, load_config
from kiosk.domain.money import Money, currency
from kiosk.errors import KioskError
from kiosk.payment.settlement import Settlement, settlement_report
from kiosk.store.journal import Journal


def _terminal_total(url: str, code: str) -> Money:
    """Run the card terminal's own end-of-day (06 50) and return its total."""
    with ZvtTerminal(url, currency=currency(code).numeric, reconnect=False) as terminal:
        outcome = terminal.end_of_day()
    if not isinstance(outcome, EndOfDay):
        raise KioskError(f"card terminal {url}: end-of-day failed: {outcome}")
    return Money(outcome.total_minor, code)


def _as_json(report: Settlement) -> dict[str, object]:
    difference = report.card_difference
    return {
        "kiosk": report.kiosk_id,
        "date": report.day.isoformat(),
        "currency": report.currency,
        "sales": report.sales,
        "total_minor": report.total.minor,
        "methods": {
            m.method: {"payments": m.payments, "amount_minor": m.amount.minor}
            for m in report.methods
        },
        "refunds": {
            m.method: {"refunds": m.payments, "amount_minor": m.amount.minor}
            for m in report.refunds
        },
        "refunded_minor": report.refunded.minor,
        "terminal_card_total_minor": (
            None if report.terminal_card_total is None else report.terminal_card_total.minor
        ),
        "card_difference_minor": None if difference is None else difference.minor,
    }


def run(args: argparse.Namespace) -> int:
    config_path = Path(args.config) if args.config else demo_config_path()
    config = load_config(config_path, data_dir=Path(args.data_dir) if args.data_dir else None)
    day = date.fromisoformat(args.date) if args.date else local_now().date()
    journal = Journal.open(config.paths.journal)
    try:
        report = settlement_report(journal, config.kiosk_id, day, config.store.currency)
    finally:
        journal.close()
    if args.pinpad_url:
        terminal = _terminal_total(args.pinpad_url, config.store.currency)
        report = replace(report, terminal_card_total=terminal)
    if args.json:
        print(json.dumps(_as_json(report), ensure_ascii=False))
    else:
        print(
            f"end of day {report.day} kiosk {report.kiosk_id}: {report.sales} sales, "
            f"{report.total.format('en')}"
        )
        for m in report.methods:
            print(f"  {m.method:<8} {m.payments:>5} x  {m.amount.format('en')}")
        for m in report.refunds:
            print(f"  refunded {m.method:<8} {m.payments:>3} x  {m.amount.format('en')}")
        if report.card_difference is not None:
            print(
                f"  card terminal total {report.terminal_card_total}: "
                f"difference {report.card_difference.format('en')}"
            )
    difference = report.card_difference
    return 1 if difference is not None and not difference.is_zero() else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="reports from the kiosk's journal")
    reports = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
    eod = reports.add_parser("end-of-day", help="the day's settlement per payment method")
    eod.add_argument("--config", help="kiosk config (default: the demo store's)")
    eod.add_argument("--data-dir", help="data directory (overrides the config's)")
    eod.add_argument("--date", help="YYYY-MM-DD (default: today, kiosk-local)")
    eod.add_argument("--pinpad-url", help="also settle the card terminal and compare totals")
    eod.add_argument("--json", action="store_true")
    eod.set_defaults(func=run)
