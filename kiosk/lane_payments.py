"""How the lane reaches payment methods, and STAND-INS until the real ones land.

The lane asks a `PaymentMethods` for a provider per attempt: card (pinpad prompts are
relayed through `prompt`), or a QR micropay method (WeChat Pay, Alipay) with the
payment code the shopper showed. The real providers are being built in
`drivers/pinpad` + `kiosk/payment` (card, ZVT) and `kiosk/payment/qr` (付款码); until
they are wired here, `StandInPayments` answers for all three.

STAND-IN, NOT A PAYMENT: `StandInPayments` approves every charge unless a scripted
outcome says otherwise (`script("card", "declined")`), keeps a SQLite ledger like
`kiosk.payment.stub` so it is idempotent by intent id and can be queried after a
restart, and never stores a payment code (only its last 4 digits as a reference).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from kiosk.payment.provider import PaymentOutcome, PaymentProvider

CARD = "card"
WECHAT = "wechat"
ALIPAY = "alipay"
QR_METHODS = (WECHAT, ALIPAY)
ALL_METHODS = (CARD, WECHAT, ALIPAY)

Prompt = Callable[[str], None]
Scripted = Literal["approved", "declined", "unknown"]


class PaymentMethods(Protocol):
    """The payment methods a lane offers, and a provider for one attempt."""

    @property
    def methods(self) -> tuple[str, ...]: ...

    def provider(self, method: str, code: str | None, prompt: Prompt) -> PaymentProvider:
        """A provider for one attempt. `code`: the shopper's payment code (QR methods);
        None to query an intent after a restart. `prompt` relays pinpad prompts
        ("insert_card", "enter_pin", "processing") to the screen."""
        ...


class StandInPayments:
    """STAND-IN for card, WeChat Pay and Alipay: see the module docstring. Thread-safe."""

    def __init__(self, ledger: Path, methods: tuple[str, ...] = ALL_METHODS) -> None:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(ledger, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS charge (intent_id TEXT PRIMARY KEY, method TEXT NOT NULL,"
            " amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,"
            " reference TEXT NOT NULL)"
        )
        self._lock = threading.Lock()
        self._methods = methods
        self._script: dict[str, deque[Scripted]] = {}
        self._offline = False

    @property
    def methods(self) -> tuple[str, ...]:
        return self._methods

    def script(self, method: str, *outcomes: Scripted) -> None:
        """The next attempts with `method` end like this (then approvals again)."""
        with self._lock:
            self._script.setdefault(method, deque()).extend(outcomes)

    def set_offline(self, offline: bool) -> None:
        """Offline: every charge and query answers `unknown` (the host cannot be reached)."""
        with self._lock:
            self._offline = offline

    def provider(self, method: str, code: str | None, prompt: Prompt) -> PaymentProvider:
        if method not in self._methods:
            raise ValueError(f"payment method {method!r} is not offered; have {self._methods}")
        return _StandInProvider(self, method, code, prompt)

    def ledger(self) -> dict[str, tuple[str, int, str]]:
        """intent id -> (method, amount, status): what the stand-in 'charged'."""
        with self._lock:
            rows = self._conn.execute("SELECT intent_id, method, amount_minor, status FROM charge")
            return {i: (m, a, s) for i, m, a, s in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _charge(
        self, method: str, code: str | None, intent_id: str, amount: int, currency: str
    ) -> PaymentOutcome:
        with self._lock:
            if self._offline:
                return PaymentOutcome("unknown", reason="STAND-IN provider offline")
            queue = self._script.get(method)
            outcome: Scripted = queue.popleft() if queue else "approved"
            if outcome == "unknown":
                return PaymentOutcome("unknown")  # nothing recorded: a query says not_found
            tail = code[-4:] if code else intent_id[-6:]
            reference = f"STANDIN-{method.upper()}-{tail}"
            self._conn.execute(
                "INSERT INTO charge VALUES (?,?,?,?,?,?) ON CONFLICT (intent_id) DO NOTHING",
                (intent_id, method, amount, currency, outcome, reference),
            )
        return self._query(intent_id)

    def _query(self, intent_id: str) -> PaymentOutcome:
        with self._lock:
            if self._offline:
                return PaymentOutcome("unknown", reason="STAND-IN provider offline")
            row = self._conn.execute(
                "SELECT status, reference FROM charge WHERE intent_id = ?", (intent_id,)
            ).fetchone()
        if row is None:
            return PaymentOutcome("not_found")
        status, reference = row
        if status == "declined":
            return PaymentOutcome("declined", reason="declined by the STAND-IN provider")
        return PaymentOutcome("approved", reference=reference)


class _StandInProvider:
    def __init__(
        self, owner: StandInPayments, method: str, code: str | None, prompt: Prompt
    ) -> None:
        self.method = method
        self._owner = owner
        self._code = code
        self._prompt = prompt

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        if self.method == CARD:
            for step in ("insert_card", "enter_pin", "processing"):
                self._prompt(step)
        else:
            self._prompt("processing")
        return self._owner._charge(self.method, self._code, intent_id, amount_minor, currency)

    def query(self, intent_id: str) -> PaymentOutcome:
        return self._owner._query(intent_id)
