"""`kiosk refund`: an attendant's refund from the command line, with their PIN.

    kiosk refund list [--config C] [--data-dir D] [--json]
    kiosk refund TX_ID [--method card|wechat|alipay] [--amount 12.34] [--config C] ...

For a closed lane (the kiosk's UI is not running; otherwise the lane's journal is in
use and the command says so: refund from the attendant panel instead). The PIN is
read without echo from the terminal, or as one line from standard input when that is
not a terminal; it is never an argument (it would stay in the shell history). The
attendant needs the refund permission. The refund goes back to the method the sale was
paid by, through the kiosk's configured payment providers ([payment]); `--amount`
refunds part of it (default: what is left). Exit status: 0 refunded, 1 declined or
unresolved (an unresolved refund is retried by the kiosk at its next start), 2 refused.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.app import open_checkout
from kiosk.checkout import Checkout
from kiosk.config import KioskConfig, demo_config_path, load_config
from kiosk.domain.money import Money
from kiosk.errors import KioskError
from kiosk.lane_setup import ATTENDANTS_FILE, LOCKOUT_FILE
from kiosk.payment.kiosk_payments import KioskPayments
from kiosk.security.attendants import Permission, load_attendants

RECENT = 20


def _config(args: argparse.Namespace) -> KioskConfig:
    path = Path(args.config) if args.config else demo_config_path()
    return load_config(path, data_dir=Path(args.data_dir) if args.data_dir else None)


@dataclass(frozen=True, slots=True)
class _Payment:
    intent: str
    method: str
    paid_minor: int
    refundable_minor: int


def _payments_of(checkout: Checkout, tx_id: str) -> list[_Payment]:
    sale = checkout.journal.sale(tx_id)
    if sale is None:
        raise RefundCommandError(f"no recorded sale {tx_id!r} in {checkout.config.paths.journal}")
    return [
        _Payment(p.intent_id, p.method, p.amount_minor, left)
        for p, left in checkout.refundable(sale)
    ]


def _list(config: KioskConfig, as_json: bool) -> int:
    checkout = open_checkout(config)
    try:
        journal = checkout.journal
        sales = [journal.sale(tx_id) for tx_id in reversed(journal.sale_ids()[-RECENT:])]
        rows = [(sale, _payments_of(checkout, sale.tx_id)) for sale in sales if sale is not None]
    finally:
        checkout.close()
    if as_json:
        listing = [
            {
                "tx": sale.tx_id,
                "completed": sale.completed_at.isoformat(),
                "total_minor": sale.total_minor,
                "payments": [asdict(p) for p in payments],
            }
            for sale, payments in rows
        ]
        print(json.dumps(listing, ensure_ascii=False))
        return 0
    code = config.store.currency
    for sale, payments in rows:
        total = Money(sale.total_minor, code).format("en")
        print(f"{sale.tx_id}  {sale.completed_at:%Y-%m-%d %H:%M}  {total}")
        for p in payments:
            paid = Money(p.paid_minor, code).format("en")
            left = Money(p.refundable_minor, code).format("en")
            print(f"    {p.method:<7} paid {paid}  refundable {left}")
    return 0


class RefundCommandError(KioskError):
    """The refund asked for does not fit the sale, the attendant or the lane."""


def _read_pin() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("attendant PIN: ")
    return sys.stdin.readline().strip()


def _refund(config: KioskConfig, args: argparse.Namespace) -> int:
    attendants_path = (
        Path(args.attendants) if args.attendants else (config.paths.data_dir / ATTENDANTS_FILE)
    )
    book = load_attendants(attendants_path, config.paths.data_dir / LOCKOUT_FILE)
    who = book.authenticate(_read_pin(), time.monotonic())
    if not who.may(Permission.REFUND):
        raise RefundCommandError(f"attendant {who.attendant_id} may not refund ({who.role.value})")
    checkout = open_checkout(config)
    payments: KioskPayments | None = None
    try:
        if checkout.state.pending_refund is not None:
            raise RefundCommandError(
                "an earlier refund is unresolved; start the kiosk (it asks the provider first)"
            )
        candidates = [
            p
            for p in _payments_of(checkout, args.tx_id)
            if args.method in (None, p.method) and p.refundable_minor > 0
        ]
        if len(candidates) != 1:
            what = "nothing left to refund" if not candidates else "several payments"
            raise RefundCommandError(
                f"sale {args.tx_id}: {what} matching --method {args.method or '(any)'}"
            )
        (chosen,) = candidates
        amount = chosen.refundable_minor
        if args.amount is not None:
            amount = Money.parse(args.amount, config.store.currency).minor
        method = chosen.method
        payments = KioskPayments.open(
            config.payment, data_dir=config.paths.data_dir, currency=config.store.currency
        )
        outcome = checkout.refund(
            payments.refund_provider(method),
            tx_id=args.tx_id,
            intent_id=chosen.intent,
            amount_minor=amount,
            attendant_id=who.attendant_id,
        )
    finally:
        if payments is not None:
            payments.close()
        checkout.close()
    shown = Money(amount, config.store.currency).format("en")
    if outcome.status == "approved":
        print(f"refunded {shown} by {method} ({outcome.reference})")
        return 0
    if outcome.status == "unknown":
        print(f"refund of {shown} by {method} unresolved: {outcome.reason}; the kiosk asks again")
        return 1
    print(f"refund of {shown} by {method} declined: {outcome.reason}")
    return 1


def run(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
        if args.tx_id == "list":
            return _list(config, args.json)
        return _refund(config, args)
    except KioskError as exc:
        print(f"kiosk refund: {exc}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "refund", help="refund a sale's payment (attendant PIN); `list` shows recent sales"
    )
    parser.add_argument("tx_id", metavar="TX_ID|list", help="the sale (from its receipt)")
    parser.add_argument("--method", choices=("card", "wechat", "alipay"))
    parser.add_argument("--amount", help="major units, e.g. 12.34 (default: all that is left)")
    parser.add_argument("--config", help="kiosk config (default: the demo store's)")
    parser.add_argument("--data-dir", help="data directory (overrides the config's)")
    parser.add_argument("--attendants", help="attendants file (default: DATA_DIR/attendants.toml)")
    parser.add_argument("--json", action="store_true", help="with list: JSON output")
    parser.set_defaults(func=run)
