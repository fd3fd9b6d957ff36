"""`kiosk drill`: a deterministic scripted checkout load, for crash and soak testing.

Each session k follows a plan derived only from (seed, k): a member code or not,
some packaged items and deli labels, an age-restricted item needing approval, then
payment with the STUB provider, or a cancellation. The drill is restartable at any
point: it restores the journal and carries on with the plan from where the restored
state stands. After every committed event it prints one JSON line, so a test that
SIGKILLs it knows exactly what was acknowledged.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from kiosk.app import demo_file, open_checkout, seed_demo_store
from kiosk.checkout import Checkout
from kiosk.domain.barcodes import variable_measure_label
from kiosk.domain.transaction import (
    Event,
    ReceiptIssued,
    SessionClosed,
    Status,
    Transaction,
)
from kiosk.errors import KioskError
from kiosk.payment.config import CardConfig, PaymentConfig, QrConfig
from kiosk.payment.kiosk_payments import KioskPayments
from kiosk.payment.provider import PaymentProvider
from kiosk.payment.qr import PollPolicy
from kiosk.payment.stub import StubPaymentProvider

ATTENDANT_ID = "drill-attendant"
DRILL_POLL = PollPolicy(interval_s=0.05, bound_s=5, unknown_wait_s=0.05, retry_wait_s=0.05)


class DrillError(KioskError):
    """The drill met a state its plan cannot continue from."""


@dataclass(frozen=True, slots=True)
class Plan:
    member: str | None
    codes: tuple[str, ...]
    cancel: bool
    method: str = "stub"
    payment_code: str | None = None  # for QR methods: what the shopper's phone shows


PAY_CHOICES = ("stub", "card", "wechat", "alipay", "qr", "mixed")
# QR payment codes: WeChat 18 digits from 13…, Alipay from 28…; the provider simulator
# reads its scenario from the last two digits (91 success, 92 user paying then success).
_QR_PREFIX = {"wechat": "13", "alipay": "28"}


@dataclass(frozen=True, slots=True)
class CodePool:
    packaged: tuple[str, ...]
    age_restricted: tuple[str, ...]
    deli: tuple[tuple[str, int], ...]  # (PLU, price per kg in minor units)


def code_pool(catalogue_csv: Path) -> CodePool:
    packaged: list[str] = []
    adult: list[str] = []
    deli: list[tuple[str, int]] = []
    with catalogue_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("active", "1") in ("0", "false"):
                continue
            gtins = [g for g in row.get("gtins", "").split("|") if g]
            if row["unit"] == "kg":
                if row.get("plu") and row["department"] == "deli":
                    deli.append((row["plu"], int(row["price_minor"])))
            elif gtins:
                (adult if int(row.get("age_limit") or 0) else packaged).append(gtins[0])
    return CodePool(tuple(packaged), tuple(adult), tuple(deli))


def plan_for(seed: int, k: int, pool: CodePool, pay: str = "stub") -> Plan:
    """The session plan for session number `k`: a pure function of (seed, k, pay)."""
    rng = random.Random(seed * 1_000_003 + k)
    codes = [rng.choice(pool.packaged) for _ in range(rng.randint(1, 5))]
    if pool.deli and rng.random() < 0.3:
        plu, per_kg = rng.choice(pool.deli)
        weight_g = rng.randint(80, 1500)
        price = (weight_g * per_kg + 500) // 1000  # the scale rounds half up
        codes.append(variable_measure_label(plu, weight_g=weight_g, price_minor=price))
    if pool.age_restricted and rng.random() < 0.15:
        codes.insert(rng.randrange(len(codes) + 1), rng.choice(pool.age_restricted))
    member = f"M{rng.randint(10**9, 10**10 - 1)}" if rng.random() < 0.2 else None
    cancel = rng.random() < 0.1
    choices = {"mixed": ("card", "wechat", "alipay"), "qr": ("wechat", "alipay")}
    method = rng.choice(choices[pay]) if pay in choices else pay
    code = None
    if method in _QR_PREFIX:
        scenario = "92" if rng.random() < 0.2 else "91"
        code = f"{_QR_PREFIX[method]}{k:014d}{scenario}"
    return Plan(member, tuple(codes), cancel, method, code)


def tx_id_for(kiosk_id: str, k: int) -> str:
    return f"{kiosk_id}-drill-{k:06d}"


def session_number(tx_id: str) -> int:
    return int(tx_id.rsplit("-", 1)[1])


def _emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _summary(state: Transaction) -> dict[str, object]:
    return {
        "tx": state.tx_id,
        "status": state.status.value,
        "lines": [line.line_id for line in state.lines],
        "member": state.member_id is not None,
    }


def _on_commit(seq: int, event: Event, state: Transaction) -> None:
    _emit({"seq": seq, "kind": event.kind, **_summary(state)})


class DrillPayments:
    """The payment providers a drill pays with: the STUB, or the kiosk's real clients
    (`KioskPayments`) pointed at simulators running in other processes, which a
    SIGKILL of the drill does not touch."""

    def __init__(self, args: argparse.Namespace, data_dir: Path, currency: str) -> None:
        if args.provider_url and not args.provider_credentials:
            raise DrillError("--provider-url needs --provider-credentials")
        methods = (("card",) if args.pinpad_url else ()) + (
            ("wechat", "alipay") if args.provider_url else ()
        )
        self.stub = StubPaymentProvider(data_dir / "stub-ledger.db")
        config = PaymentConfig(
            methods=methods,
            card=CardConfig(args.pinpad_url) if args.pinpad_url else None,
            qr=QrConfig(Path(args.provider_credentials), args.provider_url, args.provider_url)
            if args.provider_url
            else None,
        )
        self.real = KioskPayments.open(
            config, data_dir=data_dir, currency=currency, poll=DRILL_POLL
        )

    def provider(self, method: str, code: str | None) -> PaymentProvider:
        if method == "stub":
            return self.stub
        if method not in self.real.methods:
            needs = "--pinpad-url" if method == "card" else "--provider-url"
            raise DrillError(f"paying by {method} needs {needs}")
        return self.real.provider(method, code, lambda _key: None)

    def close(self) -> None:
        self.stub.close()
        self.real.close()


def step(checkout: Checkout, payments: DrillPayments, plan: Plan) -> None:
    """Take the next step of the open session's plan, whatever state it is in."""
    state = checkout.state
    now = checkout.now()
    match state.status:
        case Status.SHOPPING:
            if plan.member and state.member_id is None and not state.lines:
                _scan(checkout, plan.member)
            elif len(state.lines) < len(plan.codes):
                _scan(checkout, plan.codes[len(state.lines)])
            elif plan.cancel:
                checkout.cancel("shopper left (drill)")
            else:
                checkout.start_checkout()
        case Status.ATTENDANT_REQUIRED:
            assert state.attendant_reason is not None
            pending = state.pending_payment
            if pending is not None:
                # As an attendant would: ask the terminal/provider again.
                checkout.resolve_pending_payment(payments.provider(pending.method, None))
            else:
                checkout.approve(ATTENDANT_ID, state.attendant_reason)
        case Status.PAYING:
            pending = state.pending_payment
            if pending is not None:
                checkout.resolve_pending_payment(payments.provider(pending.method, None))
            else:
                checkout.pay(payments.provider(plan.method, plan.payment_code))
        case Status.PAID:
            checkout.dispatch(ReceiptIssued(now, printed=True))
        case Status.RECEIPT | Status.CANCELLED:
            checkout.dispatch(SessionClosed(now))
        case _:
            raise DrillError(f"drill cannot continue from {state.status.value}")


def _scan(checkout: Checkout, code: str) -> None:
    outcome = checkout.scan(code)
    if outcome.status not in ("added", "member"):
        raise DrillError(f"drill scan {code!r} refused: {outcome.message}")


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    config = seed_demo_store(data_dir)
    pool = code_pool(demo_file("demo_catalogue.csv"))
    checkout = open_checkout(config, on_commit=_on_commit)
    payments = DrillPayments(args, data_dir, config.store.currency)
    try:
        state = checkout.state
        _emit({"restored": {"seq": checkout.journal.last_seq, **_summary(state)}})
        sessions = checkout.journal.count_kind("session_started")
        while True:
            state = checkout.state
            if state.status is Status.IDLE:
                if sessions >= args.transactions:
                    break
                tx_id = tx_id_for(config.kiosk_id, sessions)
                checkout.start_session(tx_id)
                sessions += 1
                continue
            if state.tx_id is None:
                raise DrillError(f"no transaction in state {state.status.value}")
            plan = plan_for(args.seed, session_number(state.tx_id), pool, args.pay)
            step(checkout, payments, plan)
        _emit({"done": {"sessions": sessions, "sales": len(checkout.journal.sale_ids())}})
    finally:
        payments.close()
        checkout.close()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "drill", help="run a deterministic scripted checkout load (crash and soak tests)"
    )
    parser.add_argument("--data-dir", required=True, help="kiosk data directory (seeded if new)")
    parser.add_argument("--transactions", type=int, default=200, help="sessions to run")
    parser.add_argument("--seed", type=int, default=1, help="plan seed")
    parser.add_argument("--pay", choices=PAY_CHOICES, default="stub", help="payment method(s)")
    parser.add_argument("--pinpad-url", help="ZVT terminal (e.g. `kiosk sim pinpad`'s URL)")
    parser.add_argument("--provider-url", help="QR provider (`kiosk sim payment-provider`)")
    parser.add_argument("--provider-credentials", help="the provider simulator's keys file")
    parser.set_defaults(func=run)
