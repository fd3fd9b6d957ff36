"""Payment orchestration overhead: `python -m bench.payments [--quick]` prints one JSON object.

Measures `Checkout.pay` per payment minus the time spent inside the provider (its
`charge` call): journalling the intent, the outcome, the sale record and its outbox
message, with synchronous=FULL commits. The provider is the STUB (a local SQLite
ledger); its time is excluded, so a card terminal or a QR provider adds only its own.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.stats import percentile_ms
from kiosk.app import open_checkout, seed_demo_store
from kiosk.domain.transaction import ReceiptIssued, SessionClosed
from kiosk.payment.provider import PaymentOutcome
from kiosk.payment.stub import StubPaymentProvider

CODES = ("6920101000010", "6920909000014", "6920707000049")


class TimedProvider:
    """Wraps a provider and adds up the time spent inside it."""

    def __init__(self, inner: StubPaymentProvider) -> None:
        self.inner = inner
        self.method = inner.method
        self.spent = 0.0

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        start = time.perf_counter()
        try:
            return self.inner.charge(intent_id, amount_minor, currency)
        finally:
            self.spent += time.perf_counter() - start

    def query(self, intent_id: str) -> PaymentOutcome:
        start = time.perf_counter()
        try:
            return self.inner.query(intent_id)
        finally:
            self.spent += time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payments")
    parser.add_argument("--quick", action="store_true", help="100 payments instead of 1,000")
    args = parser.parse_args(argv)
    runs = 100 if args.quick else 1000
    counter = itertools.count()
    now = datetime(2026, 11, 27, 11, 0).astimezone()
    with tempfile.TemporaryDirectory(prefix="bench-payments-") as tmp:
        config = seed_demo_store(Path(tmp))
        checkout = open_checkout(config, clock=lambda: now, ids=lambda: f"id{next(counter)}")
        provider = TimedProvider(StubPaymentProvider(Path(tmp) / "ledger.db"))
        overheads: list[float] = []
        for _ in range(runs):
            for code in CODES:
                checkout.scan(code)
            checkout.start_checkout()
            provider.spent = 0.0
            start = time.perf_counter()
            outcome = checkout.pay(provider)
            overheads.append(time.perf_counter() - start - provider.spent)
            if outcome.status != "approved":
                raise SystemExit(f"bench payment not approved: {outcome}")
            checkout.dispatch(ReceiptIssued(now, printed=True))
            checkout.dispatch(SessionClosed(now))
        provider.inner.close()
        checkout.close()
    overheads.sort()
    print(
        json.dumps(
            {
                "quick": args.quick,
                "payments": runs,
                "orchestration_overhead_p99_ms": percentile_ms(overheads, 0.99),
                "orchestration_overhead_median_ms": percentile_ms(overheads, 0.5),
                "includes": "intent + outcome + sale + outbox journalled with synchronous=FULL",
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
