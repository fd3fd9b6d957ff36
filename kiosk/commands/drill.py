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
    SessionStarted,
    Status,
    Transaction,
)
from kiosk.errors import KioskError
from kiosk.payment.stub import StubPaymentProvider

ATTENDANT_ID = "drill-attendant"


class DrillError(KioskError):
    """The drill met a state its plan cannot continue from."""


@dataclass(frozen=True, slots=True)
class Plan:
    member: str | None
    codes: tuple[str, ...]
    cancel: bool


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


def plan_for(seed: int, k: int, pool: CodePool) -> Plan:
    """The session plan for session number `k`: a pure function of (seed, k)."""
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
    return Plan(member, tuple(codes), cancel=rng.random() < 0.1)


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


def step(checkout: Checkout, provider: StubPaymentProvider, plan: Plan) -> None:
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
            checkout.approve(ATTENDANT_ID, state.attendant_reason)
        case Status.PAYING:
            if state.pending_payment is not None:
                outcome = checkout.resolve_pending_payment(provider)
                if outcome is None or outcome.status == "unknown":
                    raise DrillError("stub payment unresolved")
            else:
                checkout.pay(provider)
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
    provider = StubPaymentProvider(data_dir / "stub-ledger.db")
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
                checkout.dispatch(SessionStarted(checkout.now(), tx_id))
                sessions += 1
                continue
            if state.tx_id is None:
                raise DrillError(f"no transaction in state {state.status.value}")
            step(checkout, provider, plan_for(args.seed, session_number(state.tx_id), pool))
        _emit({"done": {"sessions": sessions, "sales": len(checkout.journal.sale_ids())}})
    finally:
        provider.close()
        checkout.close()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "drill", help="run a deterministic scripted checkout load (crash and soak tests)"
    )
    parser.add_argument("--data-dir", required=True, help="kiosk data directory (seeded if new)")
    parser.add_argument("--transactions", type=int, default=200, help="sessions to run")
    parser.add_argument("--seed", type=int, default=1, help="plan seed")
    parser.set_defaults(func=run)
