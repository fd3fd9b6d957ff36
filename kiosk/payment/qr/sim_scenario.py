"""Scenarios of the provider simulator and what each does to an order.

A scenario is chosen per payment by the payment code's last two digits (so one
simulator can serve a crash test's mix), else by the simulator's default:

    ..91 success               ..95 system error (nothing charged)
    ..92 user paying, success  ..96 network drop (charged, then no answer)
    ..93 user paying, timeout  ..97 expired payment code
    ..94 insufficient funds
"""

from __future__ import annotations

import enum
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Literal


class Scenario(enum.StrEnum):
    SUCCESS = "success"
    USER_PAYING_SUCCESS = "user-paying-success"
    USER_PAYING_TIMEOUT = "user-paying-timeout"
    INSUFFICIENT_FUNDS = "insufficient-funds"
    SYSTEM_ERROR = "system-error"
    NETWORK_DROP = "network-drop"
    CODE_EXPIRED = "code-expired"


SUFFIXES: dict[str, Scenario] = {
    "91": Scenario.SUCCESS,
    "92": Scenario.USER_PAYING_SUCCESS,
    "93": Scenario.USER_PAYING_TIMEOUT,
    "94": Scenario.INSUFFICIENT_FUNDS,
    "95": Scenario.SYSTEM_ERROR,
    "96": Scenario.NETWORK_DROP,
    "97": Scenario.CODE_EXPIRED,
}

Opening = Literal["paid", "paying", "insufficient", "system_error", "drop", "code_expired"]

# What a first payment attempt does: the order's new state (None: no order) and answer.
OPENINGS: dict[Scenario, tuple[str | None, Opening]] = {
    Scenario.SUCCESS: ("SUCCESS", "paid"),
    Scenario.USER_PAYING_SUCCESS: ("PAYING", "paying"),
    Scenario.USER_PAYING_TIMEOUT: ("PAYING", "paying"),
    Scenario.INSUFFICIENT_FUNDS: ("FAILED", "insufficient"),
    Scenario.SYSTEM_ERROR: (None, "system_error"),
    Scenario.NETWORK_DROP: ("SUCCESS", "drop"),
    Scenario.CODE_EXPIRED: (None, "code_expired"),
}


@dataclass
class SimSettings:
    """What a running simulator does; tests may change these between requests."""

    scenario: Scenario = Scenario.SUCCESS
    confirm_after_queries: int = 2  # user-paying-success: paid from this order query on
    tamper_responses: bool = False  # corrupt signed answers after signing (tests)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def scenario_for(self, payment_code: str) -> Scenario:
        return SUFFIXES.get(payment_code[-2:], self.scenario)


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer; `body` None drops the connection without answering."""

    body: bytes | None
    content_type: str = "text/xml; charset=utf-8"


DROP = Reply(None)


def transaction_id(prefix: str, out_trade_no: str) -> str:
    """A provider transaction id, stable per order: prefix + 24 digits."""
    digest = int(hashlib.sha256(out_trade_no.encode()).hexdigest(), 16)
    return prefix + str(digest)[-24:].zfill(24)
