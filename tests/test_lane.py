"""The lane: UI actions in, snapshots out, the checkout on the lane's own worker thread."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from drivers.scale import ScaleStatus, Weight
from kiosk.domain.transaction import AttendantReason, Status
from kiosk.lane import Lane
from kiosk.lane_devices import MemoryDevices
from kiosk.lane_flow import LaneSettings, phone_member_id
from kiosk.lane_setup import KioskLane, demo_lane
from kiosk.lane_view import LaneSnapshot, Screen
from kiosk.payment.kiosk_payments import PaymentSimulators
from kiosk.store.journal import Journal

NOW = datetime(2026, 11, 27, 11, 0).astimezone()  # a Friday morning: no evening bakery deal
MILK = "6920101000010"  # D-MILK-250, 3.50, 3 for 2
TOAST = "6920909000014"  # B-TOAST-400, 12.90
BEER = "6920303000016"  # DR-BEER-LAGER-330, 4.50, 18+
WECHAT_CODE = "134567890123456789"
ATTENDANT_PIN, SUPERVISOR_PIN, TECH_PIN = "1234", "2580", "9753"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A demo lane with a fake monotonic clock, recording every published snapshot."""

    def __init__(self, data_dir: Path, **kwargs: object) -> None:
        self.clock = FakeClock()
        self.seen: list[LaneSnapshot] = []
        self.devices = MemoryDevices(printer_ok=bool(kwargs.pop("printer_ok", True)))
        counter = itertools.count()
        run = uuid.uuid4().hex[:6]  # a restart must not reuse the ids of the run before
        self.demo: KioskLane = demo_lane(
            data_dir,
            devices=self.devices,
            on_snapshot=self.seen.append,
            monotonic=self.clock,
            wall=self.clock,  # the PIN lock-out's persisted end moves with the fake clock
            clock=lambda: NOW,
            ids=lambda: f"{run}-{next(counter):04d}",
            settings=LaneSettings(**kwargs),  # type: ignore[arg-type]
        )
        self.lane: Lane = self.demo.lane

    def start(self) -> Harness:
        self.lane.start()
        return self

    def settle(self) -> LaneSnapshot:
        """Wait (bounded) until every action so far ran, and any payment settled."""
        for _ in range(50):
            assert self.lane.flush(timeout=10), "lane did not finish its actions"
            snap = self.lane.snapshot()
            assert snap is not None
            if snap.payment is None or snap.payment.prompt in (None, "show_code"):
                return snap
        raise AssertionError("payment never settled")

    @property
    def sims(self) -> PaymentSimulators:
        """The demo store's in-process ZVT terminal and QR provider simulators."""
        sims = self.demo.payments.simulators
        assert sims is not None
        return sims

    def close(self) -> None:
        self.demo.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path / "kiosk").start()
    yield h
    h.close()


def weight(grams: int, *, stable: bool = True) -> Weight:
    return Weight(grams, stable, ScaleStatus.OK, 0.0, source="produce_scale")


def test_first_snapshot_is_the_attract_screen_in_the_store_locale(harness: Harness) -> None:
    snap = harness.settle()
    assert snap.screen is Screen.ATTRACT
    assert snap.locale == "zh_CN"
    assert snap.store_name == "鲜丰超市 静安店"
    assert snap.lines == ()


def test_scans_make_lines_in_the_current_locale_with_multibuy_savings(harness: Harness) -> None:
    for code in (MILK, MILK, MILK, TOAST):
        harness.lane.scan(code)
    snap = harness.settle()
    assert snap.screen is Screen.BASKET
    assert [v.name for v in snap.lines] == ["纯牛奶 250ml"] * 3 + ["全麦吐司 400g"]
    assert snap.total == "¥19.90"  # 2 x 3.50 + 12.90
    assert snap.savings == "¥3.50"
    assert snap.last_line_id == snap.lines[-1].line_id
    assert any(d.label == "纯牛奶 买三付二" for v in snap.lines for d in v.discounts)
    harness.lane.set_locale("en")
    snap = harness.settle()
    assert snap.lines[0].name == "Whole milk 250 ml"
    assert {d.label for v in snap.lines for d in v.discounts} == {"Milk 3 for 2"}


def test_bad_scans_become_notices_never_lines(harness: Harness) -> None:
    harness.lane.scan("6920101000011")  # check digit wrong
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "scan_invalid"
    assert "check digit" in snap.notice.detail
    harness.lane.scan("6901234567892")  # valid, not sold here
    assert harness.settle().notice.key == "scan_refused"  # type: ignore[union-attr]
    harness.lane.scan(WECHAT_CODE)
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "payment_code_first"
    assert WECHAT_CODE not in repr(snap)
    assert snap.lines == ()


def test_basic_purchase_by_card_prints_the_receipt_and_returns_to_attract(
    harness: Harness,
) -> None:
    harness.lane.start_shopping()
    harness.lane.scan(TOAST)
    harness.lane.go_to_payment()
    snap = harness.settle()
    assert snap.screen is Screen.PAYMENT_CHOICE
    assert snap.payment is not None
    assert snap.payment.amount == "¥12.90"
    assert snap.payment.methods == ("card", "wechat", "alipay")
    harness.lane.choose_payment("card")
    snap = harness.settle()
    assert snap.screen is Screen.RECEIPT
    assert snap.receipt is not None
    assert snap.receipt.printed
    assert snap.receipt.total == "¥12.90"
    assert list(harness.devices.printed) == [snap.receipt.tx_id]
    assert "全麦吐司".encode("gb18030") in harness.devices.printed[snap.receipt.tx_id]
    assert snap.status == Status.IDLE.value
    harness.lane.finish_receipt()
    assert harness.settle().screen is Screen.ATTRACT


def test_wechat_waits_for_the_payment_code_then_charges_it(harness: Harness) -> None:
    harness.lane.scan(MILK)
    harness.lane.go_to_payment()
    harness.lane.choose_payment("wechat")
    snap = harness.settle()
    assert snap.screen is Screen.PAYING
    assert snap.payment is not None
    assert snap.payment.prompt == "show_code"
    harness.lane.scan(TOAST)  # a product is not a payment code: nothing is charged
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "not_a_payment_code"
    assert harness.sims.ledger() == []
    harness.lane.scan(WECHAT_CODE)
    snap = harness.settle()
    assert snap.screen is Screen.RECEIPT
    assert harness.sims.ledger() == [("wechat", 350, "approved")]


def test_card_terminal_prompts_reach_the_screen_while_the_card_is_being_paid(
    harness: Harness,
) -> None:
    harness.lane.scan(TOAST)
    harness.lane.go_to_payment()
    harness.lane.choose_payment("card")
    assert harness.settle().screen is Screen.RECEIPT
    shown = [
        s.payment.prompt
        for s in harness.seen
        if s.screen is Screen.PAYING and s.payment is not None and s.payment.prompt
    ]
    # The simulator says: insert card, watch the PIN pad, waiting for the host, remove
    # card; each arrives as its own snapshot while the payment is still running.
    deduped = [p for i, p in enumerate(shown) if i == 0 or shown[i - 1] != p]
    assert deduped == ["insert_card", "enter_pin", "processing", "remove_card"]


def test_declined_card_then_alipay_completes_with_one_sale(harness: Harness) -> None:
    harness.sims.zvt.queue("decline")
    harness.lane.scan(TOAST)
    harness.lane.go_to_payment()
    harness.lane.choose_payment("card")
    snap = harness.settle()
    assert snap.screen is Screen.PAYMENT_CHOICE
    assert snap.notice is not None
    assert snap.notice.key == "payment_declined"
    assert snap.payment is not None
    assert snap.payment.failure
    harness.lane.choose_payment("alipay")
    harness.lane.scan("281234567890123456")
    snap = harness.settle()
    assert snap.screen is Screen.RECEIPT
    assert [(m, s) for m, _, s in harness.sims.ledger()] == [
        ("alipay", "approved"),
        ("card", "declined"),
    ]
    journal = Journal.open(harness.demo.config.paths.journal)
    try:
        assert len(journal.sale_ids()) == 1
    finally:
        journal.close()


def test_age_restricted_item_needs_an_attendant_with_the_right_role(harness: Harness) -> None:
    harness.lane.scan(BEER)
    snap = harness.settle()
    assert snap.overlay is AttendantReason.AGE_CHECK
    harness.lane.go_to_payment()
    assert harness.settle().screen is Screen.BASKET  # refused while the check is pending
    harness.lane.approve("0000")
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "pin_wrong"
    assert snap.overlay is AttendantReason.AGE_CHECK
    harness.lane.approve(TECH_PIN)  # a technician may not approve age
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "not_permitted"
    harness.lane.approve(ATTENDANT_PIN)
    snap = harness.settle()
    assert snap.overlay is None
    assert snap.status == Status.SHOPPING.value
    harness.lane.scan(BEER)  # approved once for this shopper
    assert harness.settle().overlay is None


def test_pin_pad_locks_after_repeated_wrong_pins(harness: Harness) -> None:
    harness.lane.scan(BEER)
    for _ in range(5):
        harness.lane.approve("0000")
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "pin_locked"
    assert snap.pin_locked_s == 300
    harness.lane.approve(ATTENDANT_PIN)
    assert harness.settle().overlay is AttendantReason.AGE_CHECK  # still locked
    harness.clock.now += 301
    harness.lane.approve(ATTENDANT_PIN)
    assert harness.settle().overlay is None


def test_shopper_remove_needs_attendant_and_voids_that_line(harness: Harness) -> None:
    harness.lane.scan(MILK)
    harness.lane.scan(TOAST)
    snap = harness.settle()
    toast_line = snap.lines[1].line_id
    harness.lane.request_void(toast_line)
    snap = harness.settle()
    assert snap.overlay is AttendantReason.VOID_LINE
    assert snap.overlay_line == "全麦吐司 400g"
    harness.lane.approve(ATTENDANT_PIN)
    snap = harness.settle()
    assert [v.item_id for v in snap.lines] == ["D-MILK-250"]
    assert snap.overlay is None
    assert snap.total == "¥3.50"


def test_attendant_panel_login_cancel_basket_and_close_lane(harness: Harness) -> None:
    harness.lane.scan(MILK)
    harness.lane.open_attendant_panel()
    snap = harness.settle()
    assert snap.screen is Screen.ATTENDANT_PANEL
    assert snap.attendant is None
    harness.lane.attendant_login(SUPERVISOR_PIN)
    snap = harness.settle()
    assert snap.attendant is not None
    assert snap.attendant.role == "supervisor"
    assert [d.role for d in snap.devices] == ["receipt_printer"]
    harness.lane.cancel()
    snap = harness.settle()
    assert snap.status == Status.IDLE.value
    assert snap.lines == ()
    harness.lane.close_lane()
    harness.lane.close_attendant_panel()
    snap = harness.settle()
    assert snap.screen is Screen.OUT_OF_SERVICE
    assert snap.out_of_service_reason == "closed by attendant S001"
    harness.lane.scan(MILK)
    assert harness.settle().lines == ()
    harness.lane.open_lane(SUPERVISOR_PIN)
    assert harness.settle().screen is Screen.ATTRACT


def test_panel_actions_without_login_are_refused(harness: Harness) -> None:
    harness.lane.scan(MILK)
    harness.lane.cancel()
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "attendant_login_first"
    assert len(snap.lines) == 1


def test_produce_search_by_pinyin_name_and_plu_then_weigh(harness: Harness) -> None:
    harness.lane.show(Screen.PRODUCE)
    snap = harness.settle()
    assert snap.screen is Screen.PRODUCE
    assert snap.produce[0].name == "红富士苹果"
    assert snap.produce[0].price == "¥12.98/kg"
    harness.lane.search_produce("xj")  # 香蕉 by pinyin initials
    assert [t.item_id for t in harness.settle().produce] == ["P-BANANA"]
    harness.lane.search_produce("20001")
    assert harness.settle().produce[0].item_id == "P-APPLE-FUJI"
    harness.lane.set_locale("en")
    harness.lane.search_produce("banana")
    assert harness.settle().produce[0].name == "Bananas"
    harness.lane.feed_weight(weight(1250, stable=False))
    harness.lane.weigh_and_add("P-BANANA")
    snap = harness.settle()
    assert snap.notice is not None
    assert snap.notice.key == "weight_not_stable"
    assert snap.weight is not None
    assert not snap.weight.stable
    harness.lane.feed_weight(weight(1250))
    harness.lane.weigh_and_add("P-BANANA")
    snap = harness.settle()
    assert snap.screen is Screen.BASKET
    (line,) = snap.lines
    assert line.weight_g == 1250
    assert line.amount == "¥8.73"  # 6.98/kg x 1.25 kg, half up


def test_produce_sold_each_adds_without_the_scale(harness: Harness) -> None:
    harness.lane.weigh_and_add("P-COCONUT")
    snap = harness.settle()
    assert [(v.item_id, v.weight_g) for v in snap.lines] == [("P-COCONUT", None)]


def test_member_by_phone_is_masked_and_gets_member_prices(harness: Harness) -> None:
    harness.lane.scan("6920707000049")  # tissues 29.90, member 26.90
    harness.lane.show(Screen.MEMBER)
    harness.lane.type_phone("13800138000")
    snap = harness.settle()
    assert snap.screen is Screen.MEMBER
    assert snap.phone_masked == "*******8000"
    harness.lane.identify_member_by_phone("138")
    assert harness.settle().notice.key == "phone_invalid"  # type: ignore[union-attr]
    harness.lane.identify_member_by_phone("13800138000")
    snap = harness.settle()
    assert snap.screen is Screen.BASKET
    assert snap.total == "¥26.90"
    assert snap.member is not None
    assert "13800138000" not in snap.member
    journal_bytes = harness.demo.config.paths.journal.read_bytes()
    assert b"13800138000" not in journal_bytes
    assert phone_member_id("13800138000").startswith("TEL-")


def test_idle_timeout_keeps_the_basket_and_the_next_touch_resumes_it(harness: Harness) -> None:
    harness.lane.scan(MILK)
    harness.settle()
    harness.clock.now += 121
    harness.lane.tick()
    snap = harness.settle()
    assert snap.screen is Screen.ATTRACT
    assert snap.status == Status.SUSPENDED.value
    harness.lane.start_shopping()
    snap = harness.settle()
    assert snap.screen is Screen.BASKET
    assert len(snap.lines) == 1


def test_idle_timeout_cancels_the_basket_when_configured(tmp_path: Path) -> None:
    h = Harness(tmp_path / "k", idle_keeps_basket=False).start()
    try:
        h.lane.scan(MILK)
        h.settle()
        h.clock.now += 121
        h.lane.tick()
        snap = h.settle()
        assert snap.screen is Screen.ATTRACT
        assert snap.lines == ()
        assert snap.status == Status.IDLE.value
    finally:
        h.close()


def test_printer_down_before_payment_gives_an_e_receipt(tmp_path: Path) -> None:
    h = Harness(tmp_path / "k", printer_ok=False).start()
    try:
        h.lane.scan(TOAST)
        h.lane.go_to_payment()
        snap = h.settle()
        assert snap.payment is not None
        assert snap.payment.e_receipt
        h.lane.choose_payment("card")
        snap = h.settle()
        assert snap.receipt is not None
        assert not snap.receipt.printed
        assert snap.receipt.e_receipt_url is not None
        assert snap.receipt.tx_id in snap.receipt.e_receipt_url
    finally:
        h.close()


def test_power_cut_mid_basket_restores_the_basket_on_restart(tmp_path: Path) -> None:
    first = Harness(tmp_path / "k").start()
    first.lane.scan(MILK)
    first.lane.scan(TOAST)
    before = first.settle()
    first.close()  # the process ends; only the journal survives
    second = Harness(tmp_path / "k").start()
    try:
        after = second.settle()
        assert after.screen is Screen.BASKET
        assert [v.line_id for v in after.lines] == [v.line_id for v in before.lines]
        assert after.total == before.total
    finally:
        second.close()


def test_payment_unresolved_at_power_cut_is_resolved_before_the_next_shopper(
    tmp_path: Path,
) -> None:
    first = Harness(tmp_path / "k").start()
    # The terminal charges the card, then its link goes down for longer than the lane
    # waits: the lane cannot know whether the shopper paid.
    first.sims.zvt.down_s = 30.0
    first.sims.zvt.queue("drop-after-charge")
    first.lane.scan(TOAST)
    first.lane.go_to_payment()
    first.lane.choose_payment("card")
    snap = first.settle()
    assert snap.overlay is AttendantReason.PAYMENT_UNRESOLVED
    assert snap.notice is not None
    assert snap.notice.key == "payment_unresolved"
    first.lane.approve(ATTENDANT_PIN)  # an attendant may not clear payment issues
    assert first.settle().overlay is AttendantReason.PAYMENT_UNRESOLVED
    first.close()  # power cut with the intent journalled and its outcome unknown
    second = Harness(tmp_path / "k").start()
    try:
        # At start-up the lane asks the terminal (repeat receipt) before anything else:
        # the charge is found, so the sale completes, once.
        snap = second.settle()
        assert snap.overlay is None
        assert snap.screen is Screen.RECEIPT
        assert second.sims.ledger() == [("card", 1290, "approved")]
        journal = Journal.open(second.demo.config.paths.journal)
        try:
            assert len(journal.sale_ids()) == 1
        finally:
            journal.close()
    finally:
        second.close()


def test_actions_return_at_once_while_the_worker_is_busy(harness: Harness) -> None:
    gate = threading.Event()

    def block() -> None:
        gate.wait()

    harness.lane._actions.put(("block", block))  # the worker is stuck in a slow call
    harness.lane.scan(MILK)  # the caller (UI thread) is not held up
    harness.lane.set_locale("en")
    gate.set()
    assert harness.settle().lines[0].name == "Whole milk 250 ml"


def test_snapshot_callback_runs_on_the_lane_worker(tmp_path: Path) -> None:
    threads: list[str] = []
    h = Harness(tmp_path / "k")
    h.lane.on_snapshot = lambda snap: threads.append(threading.current_thread().name)
    h.start()
    try:
        h.lane.scan(MILK)
        h.settle()
        assert threads
        assert set(threads) == {"lane-worker"}
    finally:
        h.close()


def wait_refund_settled(harness: Harness) -> LaneSnapshot:
    for _ in range(100):
        snap = harness.settle()
        if snap.refund is None or not snap.refund.busy:
            return snap
        time.sleep(0.05)
    raise AssertionError(f"refund never settled: {snap.refund} {snap.notice}")


def refund_card_sale_losing_the_answer(harness: Harness) -> LaneSnapshot:
    """Sell toast by card, then refund it from the refund desk; the terminal refunds
    but its answer is lost with the link."""
    harness.lane.scan(TOAST)
    harness.lane.go_to_payment()
    harness.lane.choose_payment("card")
    receipt = harness.settle().receipt
    assert receipt is not None
    harness.lane.finish_receipt()
    harness.lane.open_attendant_panel()
    harness.lane.attendant_login(SUPERVISOR_PIN)
    harness.lane.open_refunds()
    harness.lane.choose_refund_sale(receipt.tx_id)
    desk = harness.settle().refund
    assert desk is not None
    (payment,) = desk.payments
    assert (payment.method, payment.refundable) == ("card", "¥12.90")
    harness.sims.zvt.queue("drop-before-completion")
    harness.lane.refund_payment(payment.intent_id)
    snap = wait_refund_settled(harness)
    assert snap.notice is not None
    assert snap.notice.key == "refund_unresolved"
    return snap


def test_card_refund_with_a_lost_answer_blocks_the_lane_until_retried_and_refunds_once(
    harness: Harness,
) -> None:
    snap = refund_card_sale_losing_the_answer(harness)
    assert snap.refund is not None
    assert snap.refund.unresolved == "¥12.90"
    harness.lane.close_attendant_panel()
    harness.lane.scan(MILK)  # no shopper while a refund is unresolved
    snap = harness.settle()
    assert snap.lines == ()
    harness.lane.open_attendant_panel()
    harness.lane.attendant_login(SUPERVISOR_PIN)
    harness.lane.retry_refund()
    snap = wait_refund_settled(harness)
    assert snap.notice is not None
    assert snap.notice.key == "refund_done"
    assert snap.refund is None  # nothing pending, and the desk was not opened this time
    assert list(harness.sims.zvt.ledger.refunded().values()) == [1290]  # refunded once
    harness.lane.close_attendant_panel()
    harness.lane.scan(MILK)
    assert len(harness.settle().lines) == 1


def test_refund_desk_needs_the_refund_permission_and_an_empty_lane(harness: Harness) -> None:
    harness.lane.open_attendant_panel()
    harness.lane.attendant_login(ATTENDANT_PIN)
    harness.lane.open_refunds()
    snap = harness.settle()
    assert snap.refund is None
    assert snap.notice is not None
    assert snap.notice.key == "not_permitted"
    harness.lane.close_attendant_panel()
    harness.lane.scan(TOAST)
    harness.lane.open_attendant_panel()
    harness.lane.attendant_login(SUPERVISOR_PIN)
    harness.lane.open_refunds()
    snap = harness.settle()
    assert snap.refund is None
    assert snap.notice is not None
    assert snap.notice.key == "refund_between_shoppers"


def test_refund_unresolved_at_power_cut_is_settled_at_start_up_without_a_second_refund(
    tmp_path: Path,
) -> None:
    first = Harness(tmp_path / "k").start()
    try:
        refund_card_sale_losing_the_answer(first)
    finally:
        first.close()  # power cut with the refund journalled and its outcome unknown
    second = Harness(tmp_path / "k").start()
    try:
        # At start-up the lane asks the terminal (on the payment thread); until the
        # refund is settled no shopper starts, then the lane is free again.
        for _ in range(100):
            second.lane.scan(MILK)
            if second.settle().lines:
                break
            time.sleep(0.05)
        assert len(second.settle().lines) == 1
        assert list(second.sims.zvt.ledger.refunded().values()) == [1290]
        journal = Journal.open(second.demo.config.paths.journal)
        try:
            assert [r.amount_minor for r in journal.refunds_on(NOW.date())] == [1290]
        finally:
            journal.close()
    finally:
        second.close()


def test_a_supervisor_clears_an_unresolved_payment_only_once_the_terminal_answers(
    harness: Harness,
) -> None:
    # Charged, then the terminal is gone for longer than the lane waits for it (T3, 5 s).
    harness.sims.zvt.down_s = 8.0
    harness.sims.zvt.queue("drop-after-charge")
    harness.lane.scan(TOAST)
    harness.lane.go_to_payment()
    harness.lane.choose_payment("card")
    snap = harness.settle()
    assert snap.overlay is AttendantReason.PAYMENT_UNRESOLVED
    harness.lane.approve(ATTENDANT_PIN)  # not allowed for this role
    assert harness.settle().overlay is AttendantReason.PAYMENT_UNRESOLVED
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the supervisor asks until the terminal is back
        harness.lane.approve(SUPERVISOR_PIN)
        snap = harness.settle()
        if snap.overlay is None:
            break
        time.sleep(0.5)
    assert snap.overlay is None
    assert snap.screen is Screen.RECEIPT  # the charge was found: one sale, charged once
    assert harness.sims.ledger() == [("card", 1290, "approved")]
