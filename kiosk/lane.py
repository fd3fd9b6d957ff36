"""The lane: the app's public actions for the UI, the only door from the UI to the domain.

A `Lane` owns the `Checkout` on its own worker thread: SQLite writes, pricing, PIN
hashing and receipt rendering happen there, payment calls on a payment thread, never
on the UI thread (SPEC section 7, "nothing blocks longer than 100 ms"). The UI calls
the action methods (`scan`, `weigh_and_add`, `choose_payment`, `approve`, ...), which
only enqueue and return at once, and renders the immutable `LaneSnapshot`s the lane
publishes through `on_snapshot` after every action (the Kivy app marshals them onto
its thread with `Clock`). No business rule lives in a widget: what is allowed, what a
line costs and which screen comes next is decided here and in the domain.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from drivers.scale import Weight
from kiosk.checkout import Checkout
from kiosk.config import LOCALES
from kiosk.domain.transaction import AttendantReason, Effect, Status, Transaction
from kiosk.errors import KioskError
from kiosk.lane_devices import LaneDevices
from kiosk.lane_flow import LaneFlow, LaneSettings
from kiosk.lane_view import LaneSnapshot, Notice, Screen
from kiosk.payment.provider import PaymentMethods, PaymentOutcome
from kiosk.security.attendants import AttendantBook

log = logging.getLogger(__name__)

__all__ = ["EffectHook", "Lane", "LaneSettings", "LaneSnapshot", "Notice", "Screen"]

#: What the lane passes to `open_checkout`: the checkout's `on_effect` hook.
EffectHook = Callable[[Effect, Transaction], None]


class Lane:
    """One kiosk lane. Start once, stop once; every action returns at once."""

    def __init__(
        self,
        open_checkout: Callable[[EffectHook], Checkout],
        *,
        attendants: AttendantBook,
        payments: PaymentMethods,
        devices: LaneDevices,
        on_snapshot: Callable[[LaneSnapshot], None] | None = None,
        settings: LaneSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._open_checkout = open_checkout
        self.settings = settings or LaneSettings()
        self._attendants = attendants
        self._payments = payments
        self._devices = devices
        self.on_snapshot = on_snapshot
        self._monotonic = monotonic
        self._new_id = new_id
        self._actions: queue.Queue[tuple[str, Callable[[], None]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._latest: LaneSnapshot | None = None
        self._worker: threading.Thread | None = None
        self._payment_thread: threading.Thread | None = None
        self._flow: LaneFlow | None = None  # worker thread only

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Lane:
        """Start the worker: it opens the checkout (restoring the journal) and publishes."""
        if self._worker is not None:
            raise RuntimeError("a Lane is started once")
        self._worker = threading.Thread(target=self._run, name="lane-worker")
        self._worker.start()
        return self

    def stop(self) -> None:
        """Finish queued actions, stop the worker, close the store files."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._actions.put(None)
        worker.join(timeout=30)
        payment = self._payment_thread
        if payment is not None:
            payment.join(timeout=30)

    def snapshot(self) -> LaneSnapshot | None:
        """The latest published snapshot (None before the first)."""
        with self._lock:
            return self._latest

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait (bounded) until every action enqueued so far has run, including the
        settling of a payment those actions started; True if it did."""
        deadline = time.monotonic() + timeout
        if not self._flush_once(timeout):
            return False
        payment = self._payment_thread
        if payment is not None and payment.is_alive():
            payment.join(max(0.0, deadline - time.monotonic()))
            if payment.is_alive():
                return False
        return self._flush_once(max(0.0, deadline - time.monotonic()))

    def _flush_once(self, timeout: float) -> bool:
        done = threading.Event()
        self._actions.put(("flush", done.set))
        return done.wait(timeout)

    # ------------------------------------------------------------ actions (any thread)

    def _do(self, name: str, fn: Callable[[LaneFlow], object], *, shopper: bool = True) -> None:
        def run() -> None:
            flow = self._flow
            if flow is None:
                return
            if shopper:
                flow.touched()
            fn(flow)

        self._actions.put((name, run))

    def scan(self, data: str) -> None:
        """A scan from any scanner or camera (never keyboard text)."""
        self._do("scan", lambda f: f.scan(data))

    def start_shopping(self) -> None:
        self._do("start_shopping", lambda f: f.start_shopping())

    def show(self, screen: Screen | str) -> None:
        """Navigate to attract, basket, produce lookup or member login."""
        target = Screen(screen)  # the UI may pass the screen's name
        self._do("show", lambda f: f.show(target))

    def search_produce(self, text: str) -> None:
        self._do("search_produce", lambda f: f.search_produce(text))

    def weigh_and_add(self, item_id: str) -> None:
        """Add a produce item at the produce scale's current stable weight."""
        self._do("weigh_and_add", lambda f: f.weigh_and_add(item_id))

    def feed_weight(self, weight: Weight) -> None:
        """A reading from a scale (the device feed calls this)."""
        self._do("weight", lambda f: f.feed_weight(weight), shopper=False)

    def identify_member_by_phone(self, digits: str) -> None:
        self._do("member_phone", lambda f: f.identify_member_by_phone(digits))

    def type_phone(self, digits: str) -> None:
        """The digits typed so far on the member keypad (shown masked)."""
        self._do("type_phone", lambda f: f.type_phone(digits))

    def request_void(self, line_id: str) -> None:
        """The shopper asks to remove a line: an attendant must approve."""
        self._do("request_void", lambda f: f.request_void(line_id))

    def call_attendant(self) -> None:
        self._do("call_attendant", lambda f: f.call_attendant())

    def go_to_payment(self) -> None:
        self._do("go_to_payment", lambda f: f.go_to_payment())

    def back_to_basket(self) -> None:
        self._do("back_to_basket", lambda f: f.back_to_basket())

    def choose_payment(self, method: str) -> None:
        self._do("choose_payment", lambda f: f.choose_payment(method))

    def cancel_payment_wait(self) -> None:
        """Leave the "show your payment code" prompt (nothing was sent yet)."""
        self._do("cancel_payment_wait", lambda f: f.cancel_payment_wait())

    def finish_receipt(self) -> None:
        self._do("finish_receipt", lambda f: f.finish_receipt())

    def approve(self, pin: str | None = None, reason: AttendantReason | None = None) -> None:
        """Clear the pending attendant request (PIN, or the logged-in attendant)."""
        self._do("approve", lambda f: f.approve(pin, reason))

    def attendant_login(self, pin: str) -> None:
        self._do("attendant_login", lambda f: f.attendant_login(pin))

    def open_attendant_panel(self) -> None:
        self._do("open_attendant_panel", lambda f: f.open_panel(True))

    def close_attendant_panel(self) -> None:
        self._do("close_attendant_panel", lambda f: f.open_panel(False))

    def open_refunds(self, pin: str | None = None) -> None:
        """The attendant panel's refund desk (between shoppers, refund permission)."""
        self._do("open_refunds", lambda f: f.open_refunds(pin))

    def close_refunds(self) -> None:
        self._do("close_refunds", lambda f: f.refunds.close())

    def choose_refund_sale(self, tx_id: str) -> None:
        """Pick a recorded sale to refund (as scanning its receipt's QR code does)."""
        self._do("choose_refund_sale", lambda f: f.refunds.choose(tx_id))

    def refund_payment(self, intent_id: str, pin: str | None = None) -> None:
        """Refund what is left of one payment of the chosen sale, to its method."""
        self._do("refund_payment", lambda f: f.refund_payment(intent_id, pin))

    def retry_refund(self, pin: str | None = None) -> None:
        """Ask the terminal/provider again about a refund whose outcome is unknown."""
        self._do("retry_refund", lambda f: f.retry_refund(pin))

    def void_line(self, line_id: str, pin: str | None = None) -> None:
        self._do("void_line", lambda f: f.void_line(line_id, pin))

    def cancel(self, pin: str | None = None) -> None:
        """Cancel the basket (attendant)."""
        self._do("cancel", lambda f: f.cancel_basket(pin))

    def reprint(self, pin: str | None = None) -> None:
        self._do("reprint", lambda f: f.reprint(pin))

    def close_lane(self, pin: str | None = None) -> None:
        self._do("close_lane", lambda f: f.set_in_service(False, pin))

    def open_lane(self, pin: str | None = None) -> None:
        self._do("open_lane", lambda f: f.set_in_service(True, pin))

    def set_locale(self, locale: str) -> None:
        self._do("set_locale", lambda f: f.set_locale(locale))

    def set_large_text(self, on: bool) -> None:
        self._do("set_large_text", lambda f: f.set_large_text(on))

    def dismiss_notice(self) -> None:
        self._do("dismiss_notice", lambda f: f.dismiss_notice())

    def tick(self) -> None:
        """Check idle timeouts now (the worker also does this every `tick_s`)."""
        self._do("tick", lambda f: f.check_idle(), shopper=False)

    # ------------------------------------------------------------ worker

    def _run(self) -> None:
        checkout: Checkout | None = None
        try:
            effects: list[Effect] = []
            checkout = self._open_checkout(lambda effect, _state: effects.append(effect))
            self._flow = LaneFlow(
                checkout,
                effects=effects,
                settings=self.settings,
                attendants=self._attendants,
                payments=self._payments,
                devices=self._devices,
                monotonic=self._monotonic,
                new_id=self._new_id,
                start_payment=self._start_payment,
                post=lambda name, fn: self._actions.put((name, fn)),
            )
            self._flow.boot()
        except Exception as exc:
            log.exception("lane could not open its checkout")
            self._publish_fatal(exc)
            self._drain_until_stop()
            return
        try:
            self._publish()
            self._loop()
        finally:
            payment = self._payment_thread
            if payment is not None:
                payment.join(timeout=30)
            checkout.close()

    def _loop(self) -> None:
        while True:
            try:
                item = self._actions.get(timeout=self.settings.tick_s)
            except queue.Empty:
                assert self._flow is not None
                if self._flow.check_idle():
                    self._publish()
                continue
            if item is None:
                return
            name, run = item
            try:
                run()
            except KioskError as exc:
                log.info("lane action refused", extra={"action": name, "error": str(exc)})
                if self._flow is not None:
                    self._flow.notice = Notice("not_now", detail=str(exc))
            except Exception as exc:
                log.exception("lane action failed", extra={"action": name})
                if self._flow is not None:
                    self._flow.notice = Notice("internal_error", detail=f"{name}: {exc}")
            if name != "flush":
                self._publish()

    def _drain_until_stop(self) -> None:
        while True:
            item = self._actions.get()
            if item is None:
                return
            if item[0] == "flush":
                item[1]()

    def _publish(self) -> None:
        assert self._flow is not None
        with self._lock:
            seq = 1 if self._latest is None else self._latest.seq + 1
        snap = self._flow.snapshot(seq)
        with self._lock:
            self._latest = snap
        if self.on_snapshot is not None:
            self.on_snapshot(snap)

    def _publish_fatal(self, exc: BaseException) -> None:
        snap = LaneSnapshot(
            seq=1,
            screen=Screen.OUT_OF_SERVICE,
            locale=self.settings.locale or LOCALES[0],
            large_text=False,
            store_name="",
            status=Status.OUT_OF_SERVICE.value,
            notice=Notice("lane_failed", detail=str(exc)),
            out_of_service_reason=str(exc),
        )
        with self._lock:
            self._latest = snap
        if self.on_snapshot is not None:
            self.on_snapshot(snap)

    # ------------------------------------------------------------ payment thread

    def _start_payment(
        self, call: Callable[[], PaymentOutcome], settle: Callable[[PaymentOutcome], None]
    ) -> None:
        """Run a provider call on the payment thread; settle its outcome on the worker."""

        def work() -> None:
            try:
                outcome = call()
            except Exception as exc:
                log.exception("payment call failed")
                outcome = PaymentOutcome("unknown", reason=f"provider error: {exc}")
            self._actions.put(("settle_payment", lambda: settle(outcome)))

        previous = self._payment_thread
        if previous is not None:
            previous.join(timeout=30)
        self._payment_thread = threading.Thread(target=work, name="lane-payment")
        self._payment_thread.start()
