"""Shared helpers for the QR micropay tests: credentials, a fake clock, codes."""

from __future__ import annotations

import functools

from kiosk.payment.qr import AlipayMicropay, PollPolicy, QrMicropayProvider, WeChatPayMicropay
from kiosk.payment.qr.sim import PaymentProviderSimulator, Scenario, SimCredentials
from kiosk.payment.qr.sim_scenario import SUFFIXES

PROVIDERS = ("wechat", "alipay")
SUFFIX = {scenario: suffix for suffix, scenario in SUFFIXES.items()}


@functools.cache
def credentials() -> SimCredentials:
    """One set of simulator credentials per test run (RSA key generation is slow-ish)."""
    return SimCredentials.generate()


class FakeClock:
    """Monotonic time that only moves when the flow sleeps: no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def code(provider: str, scenario: Scenario, serial: int = 0) -> str:
    """A well-formed payment code whose last two digits choose `scenario`."""
    middle = f"{serial:04d}"
    if provider == "wechat":  # 18 digits starting 10-15
        return "134" + "56789012" + middle + "9" + SUFFIX[scenario]
    return "28" + "7634438" + middle + "9" + SUFFIX[scenario]  # Alipay: 16-24 digits, 25-30


def make_provider(
    provider: str,
    sim: PaymentProviderSimulator,
    clock: FakeClock,
    policy: PollPolicy | None = None,
    **overrides: object,
) -> QrMicropayProvider:
    creds = credentials()
    if provider == "wechat":
        wechat = creds.wechat_config(sim.url, timeout_s=5.0, **overrides)
        return WeChatPayMicropay(wechat, policy, clock=clock, sleep=clock.sleep)
    alipay = creds.alipay_config(sim.url, timeout_s=5.0, **overrides)
    return AlipayMicropay(alipay, policy, clock=clock, sleep=clock.sleep)
