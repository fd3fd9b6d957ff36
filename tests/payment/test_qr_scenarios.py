"""Every simulator scenario, both providers, over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.payment.qr import (
    DeclineReason,
    PaymentCodeRequired,
    PollPolicy,
    UnsupportedCurrency,
    WeChatPayMicropay,
)
from kiosk.payment.qr.sim import PaymentProviderSimulator, Scenario
from tests.payment.qr_support import PROVIDERS, FakeClock, code, credentials, make_provider


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PaymentProviderSimulator]:
    with PaymentProviderSimulator(tmp_path / "ledger.sqlite", credentials()) as simulator:
        yield simulator


@pytest.mark.parametrize("provider", PROVIDERS)
def test_success_is_approved_once_with_the_provider_transaction_id(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock)
    outcome = qr.charge_code("intent-1", 1234, "CNY", code(provider, Scenario.SUCCESS), "Groceries")
    order = sim.ledger.get(provider, qr.order_number("intent-1"))
    assert outcome.status == "approved"
    assert order is not None
    assert outcome.reference == order.transaction_id
    assert outcome.amount_minor == 1234
    assert sim.ledger.charged(provider) == {qr.order_number("intent-1"): 1234}
    assert clock.sleeps == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_user_paying_is_polled_until_the_shopper_confirms(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock, PollPolicy(interval_s=5.0, bound_s=45.0))
    outcome = qr.charge_code("intent-2", 880, "CNY", code(provider, Scenario.USER_PAYING_SUCCESS))
    assert outcome.status == "approved"
    assert clock.sleeps == [5.0, 5.0]  # paid at the second order query (confirm_after=2)
    assert sim.ledger.charge_counts(provider) == {qr.order_number("intent-2"): 1}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_user_paying_past_the_bound_is_reversed_and_declined(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock, PollPolicy(interval_s=5.0, bound_s=30.0))
    outcome = qr.charge_code("intent-3", 500, "CNY", code(provider, Scenario.USER_PAYING_TIMEOUT))
    order = sim.ledger.get(provider, qr.order_number("intent-3"))
    assert outcome.status == "declined"
    assert outcome.decline is DeclineReason.USER_TIMEOUT
    assert clock.now == 30.0
    assert order is not None
    assert order.state in ("REVOKED", "CLOSED")
    assert sim.ledger.charged(provider) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_insufficient_funds_is_declined_and_the_order_closed(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock)
    outcome = qr.charge_code("intent-4", 99900, "CNY", code(provider, Scenario.INSUFFICIENT_FUNDS))
    order = sim.ledger.get(provider, qr.order_number("intent-4"))
    assert outcome.status == "declined"
    assert outcome.decline is DeclineReason.INSUFFICIENT_FUNDS
    assert outcome.message("zh_CN") == "余额不足，请更换银行卡或付款方式"
    assert outcome.message("en").startswith("Insufficient balance")
    assert order is not None
    assert order.state in ("REVOKED", "CLOSED")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_system_error_is_queried_then_declined_without_a_charge(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock, PollPolicy(unknown_wait_s=5.0))
    outcome = qr.charge_code("intent-5", 700, "CNY", code(provider, Scenario.SYSTEM_ERROR))
    assert outcome.status == "declined"
    assert outcome.decline is DeclineReason.PROVIDER_ERROR
    assert clock.sleeps[0] == 5.0  # waits before the first query, as WeChat asks
    assert sim.ledger.charged(provider) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_network_drop_after_the_charge_is_resolved_by_query_as_approved(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    clock = FakeClock()
    qr = make_provider(provider, sim, clock)
    outcome = qr.charge_code("intent-6", 1999, "CNY", code(provider, Scenario.NETWORK_DROP))
    assert outcome.status == "approved"
    assert sim.ledger.charge_counts(provider) == {qr.order_number("intent-6"): 1}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_expired_code_is_declined_with_a_refresh_message(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    outcome = qr.charge_code("intent-7", 100, "CNY", code(provider, Scenario.CODE_EXPIRED))
    assert outcome.status == "declined"
    # WeChat says "expired"; Alipay folds expiry into "invalid" (ACQ.PAYMENT_AUTH_CODE_INVALID).
    expected = {"wechat": DeclineReason.CODE_EXPIRED, "alipay": DeclineReason.CODE_INVALID}
    assert outcome.decline is expected[provider]
    assert "刷新付款码" in outcome.message("zh_CN")
    assert sim.ledger.charged(provider) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_charging_the_same_intent_twice_charges_once(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    first = qr.charge_code("intent-8", 4200, "CNY", code(provider, Scenario.SUCCESS, 1))
    second = qr.charge_code("intent-8", 4200, "CNY", code(provider, Scenario.SUCCESS, 2))
    assert (first.status, second.status) == ("approved", "approved")
    assert first.reference == second.reference
    assert sim.ledger.charge_counts(provider) == {qr.order_number("intent-8"): 1}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_declined_intent_cannot_be_paid_later(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    qr.charge_code("intent-9", 300, "CNY", code(provider, Scenario.INSUFFICIENT_FUNDS))
    again = qr.charge_code("intent-9", 300, "CNY", code(provider, Scenario.SUCCESS))
    assert again.status == "declined"
    assert again.decline is DeclineReason.ORDER_CLOSED
    assert sim.ledger.charged(provider) == {}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_resolve_after_a_lost_answer_finds_the_payment(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    # A kiosk that died while the shopper confirmed: the order is still paying.
    clock = FakeClock()
    qr = make_provider(provider, sim, clock, PollPolicy(bound_s=0.0))
    paying = code(provider, Scenario.USER_PAYING_SUCCESS)
    sim.settings.confirm_after_queries = 10**6
    qr.api.pay(qr.order_number("intent-10"), 650, "CNY", paying, "basket")
    assert qr.query("intent-10").status == "unknown"
    sim.settings.confirm_after_queries = 1
    assert qr.resolve("intent-10").status == "approved"
    assert qr.resolve("intent-never-sent").status == "not_found"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reverse_of_a_paid_intent_returns_the_money(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    qr.charge_code("intent-11", 1500, "CNY", code(provider, Scenario.SUCCESS))
    outcome = qr.reverse("intent-11")
    assert outcome.status == "declined"
    assert outcome.money_returned
    assert sim.ledger.charged(provider) == {}
    assert [e[2] for e in sim.ledger.events()] == ["charged", "returned"]
    assert qr.query("intent-11").status == "declined"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_refund_is_idempotent_per_refund_id_and_bounded_by_the_payment(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    qr.charge_code("intent-12", 1000, "CNY", code(provider, Scenario.SUCCESS))
    first = qr.refund("intent-12", "refund-a", 400)
    repeat = qr.refund("intent-12", "refund-a", 400)
    too_much = qr.refund("intent-12", "refund-b", 700)
    unpaid = qr.refund("intent-unpaid", "refund-c", 100)
    assert (first.status, repeat.status) == ("accepted", "accepted")
    assert too_much.status == "rejected"
    assert unpaid.status == "rejected"
    order = sim.ledger.get(provider, qr.order_number("intent-12"))
    assert order is not None
    assert order.refunded_minor == 400
    assert qr.query("intent-12").refunded == (provider == "wechat")  # WeChat: state REFUND


@pytest.mark.parametrize("provider", PROVIDERS)
def test_charge_without_a_code_and_foreign_currency_are_refused_before_sending(
    provider: str, sim: PaymentProviderSimulator
) -> None:
    qr = make_provider(provider, sim, FakeClock())
    with pytest.raises(PaymentCodeRequired):
        qr.charge("intent-13", 100, "CNY")
    with pytest.raises(UnsupportedCurrency):
        qr.charge_code("intent-13", 100, "EUR", code(provider, Scenario.SUCCESS))
    not_a_code = qr.charge_code("intent-13", 100, "CNY", "12ab")
    assert not_a_code.decline is DeclineReason.CODE_INVALID
    assert sim.ledger.orders() == []


def test_default_scenario_applies_to_codes_without_a_scenario_suffix(
    sim: PaymentProviderSimulator,
) -> None:
    sim.settings.scenario = Scenario.INSUFFICIENT_FUNDS
    qr = make_provider("wechat", sim, FakeClock())
    outcome = qr.charge_code("intent-14", 100, "CNY", "134567890123456700")
    assert outcome.decline is DeclineReason.INSUFFICIENT_FUNDS


def test_provider_unreachable_ends_unknown_without_real_waiting(tmp_path: Path) -> None:
    with PaymentProviderSimulator(tmp_path / "l.sqlite", credentials()) as gone:
        url = gone.url
    clock = FakeClock()
    config = credentials().wechat_config(url, timeout_s=2.0)
    qr = WeChatPayMicropay(config, PollPolicy(bound_s=10.0), clock=clock, sleep=clock.sleep)
    outcome = qr.charge_code("intent-15", 100, "CNY", code("wechat", Scenario.SUCCESS))
    assert outcome.status == "unknown"
    assert outcome.message("en").startswith("The payment result is not confirmed")
