"""The lane's worker-side logic: one shopper journey over the `Checkout`, and its snapshot.

`LaneFlow` runs only on the lane's worker thread (`kiosk.lane.Lane` guarantees it). It
turns UI actions into checkout calls and domain events, keeps what is navigation only
(which screen, the produce search, the typed phone digits, the logged-in attendant),
and builds the `LaneSnapshot` the UI renders. Paying is the `PayingDesk`'s
(`kiosk.lane_paying`), refunds the `RefundDesk`'s (`kiosk.lane_refunds`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from drivers.scale import Weight
from kiosk.checkout import Checkout
from kiosk.config import LOCALES
from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.receipt import Paper
from kiosk.domain.sale import Sale
from kiosk.domain.transaction import (
    AttendantCalled,
    AttendantReason,
    BackInService,
    Effect,
    OutOfService,
    PrintReceipt,
    Resumed,
    SessionClosed,
    Status,
    Suspended,
    Transaction,
)
from kiosk.errors import KioskError
from kiosk.lane_devices import LaneDevices
from kiosk.lane_paying import PayingDesk, Post, StartPayment
from kiosk.lane_refunds import RefundDesk
from kiosk.lane_view import (
    AttendantView,
    LaneSnapshot,
    Notice,
    ProduceTile,
    ReceiptView,
    Screen,
    WeightView,
    discount_view,
    line_views,
    mask_phone,
    money_text,
    produce_tile,
)
from kiosk.logging_setup import mask
from kiosk.payment.provider import PaymentMethods
from kiosk.receipts.escpos import render_escpos
from kiosk.receipts.from_sale import receipt_for_sale
from kiosk.security.attendants import (
    Attendant,
    AttendantBook,
    LockedOut,
    NotPermitted,
    Permission,
    PinRejected,
)

log = logging.getLogger(__name__)

# What an attendant needs to clear each reason (SPEC section 6).
_REASON_PERMISSION: dict[AttendantReason, Permission | None] = {
    AttendantReason.AGE_CHECK: Permission.APPROVE_AGE,
    AttendantReason.VOID_LINE: Permission.VOID_LINE,
    AttendantReason.HELP: None,
    AttendantReason.WEIGHT_MISMATCH: Permission.VOID_LINE,
    AttendantReason.PAYMENT_UNRESOLVED: Permission.REFUND,
}
_NAV = (Screen.ATTRACT, Screen.BASKET, Screen.PRODUCE, Screen.MEMBER)
PRODUCE_SCALE = "produce_scale"


@dataclass(frozen=True, slots=True)
class LaneSettings:
    """How the lane behaves; defaults suit the demo store."""

    locale: str | None = None  # None: the store's locale
    idle_timeout_s: float = 120.0  # no touch for this long: back to attract
    idle_keeps_basket: bool = True  # keep (suspend) the basket, else cancel it
    receipt_timeout_s: float = 20.0  # the thanks screen goes back to attract after this
    tick_s: float = 0.5  # how often the worker checks idle timeouts
    # Produce quick picks shown before the shopper searches (PLUs, in grid order).
    quick_picks: tuple[str, ...] = tuple(str(n) for n in range(20001, 20016)) + tuple(
        str(n) for n in range(21001, 21010)
    )
    e_receipt_url: str = "https://receipts.example.invalid/{store}/{tx_id}"
    phone_digits: tuple[int, int] = (6, 15)
    search_limit: int = 24


@dataclass(slots=True)
class _Nav:
    screen: Screen = Screen.ATTRACT
    panel: bool = False
    produce_query: str = ""
    produce: tuple[ProduceTile, ...] = ()
    phone: str = ""
    last_line_id: str | None = None
    pending_void: str | None = None
    receipt: ReceiptView | None = None
    receipt_at: float = 0.0


class LaneFlow:
    """See the module docstring. Worker thread only."""

    def __init__(
        self,
        checkout: Checkout,
        *,
        effects: list[Effect],
        settings: LaneSettings,
        attendants: AttendantBook,
        payments: PaymentMethods,
        devices: LaneDevices,
        monotonic: Callable[[], float],
        new_id: Callable[[], str] | None,
        start_payment: StartPayment,
        post: Post,
    ) -> None:
        self.checkout = checkout
        self.settings = settings
        self.attendants = attendants
        self.payments = payments
        self.devices = devices
        self._monotonic = monotonic
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self.refunds = RefundDesk(checkout, payments, start_payment=start_payment, tell=self._tell)
        self.desk = PayingDesk(
            checkout,
            payments,
            devices,
            start_payment=start_payment,
            post=post,
            tell=self._tell,
            settled=self._run_effects,
        )
        self.locale = settings.locale or checkout.config.store.locale
        self.large_text = False
        self.notice: Notice | None = None
        self.nav = _Nav()
        self.attendant: Attendant | None = None
        self.weight: Weight | None = None
        self.last_touch = monotonic()
        # Filled by the checkout's on_effect hook during dispatch; run after it returns.
        self._effects = effects

    # ------------------------------------------------------------ helpers

    @property
    def state(self) -> Transaction:
        return self.checkout.state

    def touched(self) -> None:
        self.last_touch = self._monotonic()
        self.notice = None

    def _run_effects(self) -> None:
        while self._effects:
            effect = self._effects.pop(0)
            if isinstance(effect, PrintReceipt):
                self._print_and_close(effect.tx_id)
            # RequestAttendant: the overlay follows from the state; MQTT paging is sync's.

    def _tell(self, key: str, detail: str = "", *, error: bool = True, **params: str) -> None:
        self.notice = Notice(key, tuple(params.items()), detail, error)

    # ------------------------------------------------------------ start-up

    def boot(self) -> None:
        """After a restart: bring the restored transaction to where a shopper can go on."""
        self.refunds.boot()
        state = self.state
        status = state.status
        pending = state.pending_payment
        if pending is not None:
            self.desk.resume_pending(pending.method)
        elif status is Status.PAID:
            assert state.tx_id is not None
            self._print_and_close(state.tx_id)
        elif status in (Status.RECEIPT, Status.CANCELLED):
            self.checkout.dispatch(SessionClosed(self.checkout.now()))
        if self.state.status in (Status.SHOPPING, Status.ATTENDANT_REQUIRED):
            self.nav.screen = Screen.BASKET
            lines = self.state.active_lines
            self.nav.last_line_id = lines[-1].line_id if lines else None
        self.nav.produce = self._quick_picks()

    # ------------------------------------------------------------ shopping

    def scan(self, data: str) -> None:
        if self.nav.panel and self.refunds.active:
            return self.refunds.scan(data)
        if self.nav.panel:
            return self._tell("scan_ignored_panel")
        if self.desk.awaiting_code:
            return self.desk.payment_code(data)
        if self.state.status in (Status.PAYING, Status.PAID):
            return self._tell("scan_while_paying")
        if self.state.status is Status.SUSPENDED:
            self.checkout.dispatch(Resumed(self.checkout.now()))
        outcome = self.checkout.scan(data)
        if outcome.status == "added":
            self.nav.last_line_id = outcome.line_id
            if self.nav.screen in (Screen.ATTRACT, Screen.MEMBER):
                self.nav.screen = Screen.BASKET
        elif outcome.status == "member":
            self._tell("member_recognised", error=False)
        elif outcome.status == "payment_code":
            self._tell("payment_code_first")
        elif outcome.scan is None:
            self._tell("scan_invalid", outcome.message)
        else:
            self._tell("scan_refused", outcome.message)
        self._run_effects()
        return None

    def start_shopping(self) -> None:
        if self.state.status is Status.SUSPENDED:
            self.checkout.dispatch(Resumed(self.checkout.now()))
        self.nav.screen = Screen.BASKET

    def show(self, screen: Screen) -> None:
        if screen not in _NAV:
            raise KioskError(f"screen {screen.value} is not reached by navigation")
        self.nav.screen = screen
        if screen is Screen.PRODUCE and not self.nav.produce_query:
            self.nav.produce = self._quick_picks()
        if screen is Screen.MEMBER:
            self.nav.phone = ""

    def _quick_picks(self) -> tuple[ProduceTile, ...]:
        items = (self.checkout.catalogue.lookup_plu(plu) for plu in self.settings.quick_picks)
        return tuple(produce_tile(i, self.locale) for i in items if i is not None)

    def search_produce(self, text: str) -> None:
        """By name (either language), pinyin initials, or PLU (exact match first)."""
        self.nav.produce_query = text
        text = text.strip()
        if not text:
            self.nav.produce = self._quick_picks()
            return
        catalogue = self.checkout.catalogue
        found: list[Item] = []
        if text.isdigit():
            exact = catalogue.lookup_plu(text)
            if exact is not None:
                found.append(exact)
        # Only items with a PLU belong on the produce screen; ask for more than we show
        # because packaged goods match names and initials too.
        limit = self.settings.search_limit
        for item in catalogue.search(text, self.locale, limit * 10):
            if item.plu is not None and all(item.item_id != f.item_id for f in found):
                found.append(item)
        self.nav.produce = tuple(produce_tile(i, self.locale) for i in found[:limit])

    def feed_weight(self, weight: Weight) -> None:
        if weight.source in ("", PRODUCE_SCALE):
            self.weight = weight

    def weigh_and_add(self, item_id: str) -> None:
        item = self.checkout.catalogue.get(item_id)
        if item is None:
            return self._tell("scan_refused", f"item {item_id} is not in the catalogue")
        if item.unit is Unit.EACH:
            self._add(item, weight_g=None)
            return None
        weight = self.weight
        if weight is None or not weight.sellable or not weight.grams:
            return self._tell("weight_not_stable", "" if weight is None else weight.status.value)
        self._add(item, weight_g=weight.grams)
        return None

    def _add(self, item: Item, weight_g: int | None) -> None:
        if self.state.status is Status.SUSPENDED:
            self.checkout.dispatch(Resumed(self.checkout.now()))
        self.nav.last_line_id = self.checkout.add_item(item, weight_g=weight_g)
        self.nav.screen = Screen.BASKET
        self._run_effects()

    def type_phone(self, digits: str) -> None:
        self.nav.phone = "".join(c for c in digits if c.isdigit())[: self.settings.phone_digits[1]]

    def identify_member_by_phone(self, digits: str) -> None:
        low, high = self.settings.phone_digits
        if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
            return self._tell("phone_invalid", f"{len(digits)} digits")
        member_id = phone_member_id(digits)
        self.checkout.identify_member(member_id)
        log.info("member identified by phone", extra={"phone": mask(digits)})
        self.nav.phone = ""
        self.nav.screen = Screen.BASKET
        self._tell("member_recognised", error=False)
        return None

    def request_void(self, line_id: str) -> None:
        self.checkout.dispatch(AttendantCalled(self.checkout.now(), AttendantReason.VOID_LINE))
        self.nav.pending_void = line_id

    def call_attendant(self) -> None:
        self.checkout.dispatch(AttendantCalled(self.checkout.now(), AttendantReason.HELP))

    # ------------------------------------------------------------ paying

    def go_to_payment(self) -> None:
        self.desk.go_to_payment()

    def back_to_basket(self) -> None:
        self.desk.back_to_basket()
        self.nav.screen = Screen.BASKET

    def choose_payment(self, method: str) -> None:
        self.desk.choose(method)

    def cancel_payment_wait(self) -> None:
        self.desk.cancel_wait()

    def _print_and_close(self, tx_id: str) -> None:
        sale = self.checkout.journal.sale(tx_id)
        config = self.checkout.config
        printed = False
        if sale is not None and not self.desk.e_receipt:
            printed = self.devices.print_receipt(self._receipt_bytes(sale), tx_id)
        total = self.state.amount_due_minor
        self.checkout.finish(printed=printed)
        url = None
        if not printed:
            url = self.settings.e_receipt_url.format(store=config.store.store_id, tx_id=tx_id)
        self.nav.receipt = ReceiptView(
            tx_id, money_text(total, config.store.currency, self.locale), printed, url
        )
        self.nav.receipt_at = self._monotonic()
        self.desk.e_receipt = False
        self.nav.last_line_id = None

    def _receipt_bytes(self, sale: Sale, copy_label: str | None = None) -> bytes:
        config = self.checkout.config
        receipt = receipt_for_sale(sale, config, self.locale, copy_label=copy_label)
        paper = Paper.MM58 if config.paper_mm == 58 else Paper.MM80
        return render_escpos(receipt, paper, codec=config.printer_codec)

    def finish_receipt(self) -> None:
        self.nav.receipt = None
        self.nav.screen = Screen.ATTRACT

    # ------------------------------------------------------------ attendant

    def _who(self, pin: str | None) -> Attendant | None:
        """The attendant by PIN, or the logged-in one; tells the shopper why not."""
        if pin is None:
            if self.attendant is None:
                self._tell("attendant_login_first")
            return self.attendant
        try:
            return self.attendants.authenticate(pin, self._monotonic())
        except LockedOut as exc:
            self._tell("pin_locked", str(exc), seconds=f"{exc.seconds_left:.0f}")
        except PinRejected as exc:
            self._tell("pin_wrong", str(exc), remaining=str(exc.remaining))
        return None

    def _allowed(self, who: Attendant, permission: Permission | None) -> bool:
        if permission is None or who.may(permission):
            return True
        self._tell("not_permitted", str(NotPermitted(f"{who.attendant_id} {permission.value}")))
        return False

    def attendant_login(self, pin: str) -> None:
        who = self._who(pin)
        if who is not None:
            self.attendant = who
            self.nav.panel = True

    def open_panel(self, on: bool) -> None:
        self.nav.panel = on
        if not on:
            self.attendant = None
            self.refunds.close()

    def open_refunds(self, pin: str | None) -> None:
        """The refund desk, between shoppers, for an attendant allowed to refund."""
        who = self._who(pin)
        if who is None or not self._allowed(who, Permission.REFUND):
            return None
        if self.state.status not in (Status.IDLE, Status.OUT_OF_SERVICE):
            return self._tell("refund_between_shoppers")
        self.refunds.open()
        return None

    def refund_payment(self, intent_id: str, pin: str | None) -> None:
        who = self._who(pin)
        if who is not None and self._allowed(who, Permission.REFUND):
            self.refunds.refund(intent_id, who.attendant_id)

    def retry_refund(self, pin: str | None) -> None:
        who = self._who(pin)
        if who is not None and self._allowed(who, Permission.REFUND):
            self.refunds.retry()

    def approve(self, pin: str | None, reason: AttendantReason | None) -> None:
        pending = self.state.attendant_reason
        if pending is None:
            return self._tell("nothing_to_approve")
        reason = reason or pending
        who = self._who(pin)
        if who is None or not self._allowed(who, _REASON_PERMISSION[reason]):
            return None
        if reason is AttendantReason.PAYMENT_UNRESOLVED and self.state.pending_payment:
            return self.desk.recheck(who.attendant_id)
        line = self.nav.pending_void
        if reason is AttendantReason.VOID_LINE and line is not None:
            self.checkout.void_line(line, who.attendant_id)
            self.nav.pending_void = None
            if self.nav.last_line_id == line:
                self.nav.last_line_id = None
        self.checkout.approve(who.attendant_id, reason)
        log.info(
            "attendant approved", extra={"attendant": who.attendant_id, "reason": reason.value}
        )
        return None

    def void_line(self, line_id: str, pin: str | None) -> None:
        who = self._who(pin)
        if who is not None and self._allowed(who, Permission.VOID_LINE):
            self.checkout.void_line(line_id, who.attendant_id)
            if self.nav.last_line_id == line_id:
                self.nav.last_line_id = None
            self._tell("line_voided", error=False)

    def cancel_basket(self, pin: str | None) -> None:
        who = self._who(pin)
        if who is not None and self._allowed(who, Permission.CANCEL_BASKET):
            self.checkout.cancel(f"cancelled by attendant {who.attendant_id}")
            self.desk.reset()
            self.nav = _Nav(panel=self.nav.panel, produce=self._quick_picks())
            self._tell("basket_cancelled", error=False)

    def reprint(self, pin: str | None) -> None:
        who = self._who(pin)
        if who is None or not self._allowed(who, Permission.REPRINT):
            return None
        sale_ids = self.checkout.journal.sale_ids()
        if not sale_ids:
            return self._tell("nothing_to_reprint")
        sale = self.checkout.journal.sale(sale_ids[-1])
        assert sale is not None
        data = self._receipt_bytes(sale, copy_label="COPY / 重印")
        ok = self.devices.print_receipt(data, f"{sale_ids[-1]}-copy-{self._new_id()[:8]}")
        self._tell("reprinted" if ok else "printer_failed", error=not ok)
        return None

    def set_in_service(self, on: bool, pin: str | None) -> None:
        who = self._who(pin)
        if who is None or not self._allowed(who, Permission.OPEN_CLOSE_LANE):
            return
        now = self.checkout.now()
        if on:
            self.checkout.dispatch(BackInService(now))
        else:
            self.checkout.dispatch(OutOfService(now, f"closed by attendant {who.attendant_id}"))

    # ------------------------------------------------------------ settings, idle

    def set_locale(self, locale: str) -> None:
        if locale not in LOCALES:
            raise KioskError(f"locale {locale!r} is not one of {', '.join(LOCALES)}")
        self.locale = locale
        query = self.nav.produce_query
        if query:
            self.search_produce(query)
        else:
            self.nav.produce = self._quick_picks()

    def set_large_text(self, on: bool) -> None:
        self.large_text = on

    def dismiss_notice(self) -> None:
        self.notice = None

    def check_idle(self) -> bool:
        """Apply idle timeouts; True when something changed."""
        now = self._monotonic()
        if self.nav.receipt is not None:
            if now - self.nav.receipt_at >= self.settings.receipt_timeout_s:
                self.finish_receipt()
                return True
            return False
        if now - self.last_touch < self.settings.idle_timeout_s or self.nav.panel:
            return False
        status = self.state.status
        if status is Status.SHOPPING:
            if self.settings.idle_keeps_basket:
                self.checkout.dispatch(Suspended(self.checkout.now()))
            else:
                self.checkout.cancel("idle timeout")
        elif status is not Status.IDLE or self.nav.screen is Screen.ATTRACT:
            return False  # paying or waiting for an attendant: a person must act
        self.nav = _Nav(produce=self._quick_picks())
        self.notice = None
        self.last_touch = now
        return True

    # ------------------------------------------------------------ snapshot

    def screen(self) -> Screen:
        status = self.state.status
        if self.nav.panel:
            return Screen.ATTENDANT_PANEL
        if status is Status.OUT_OF_SERVICE:
            return Screen.OUT_OF_SERVICE
        if self.nav.receipt is not None:
            return Screen.RECEIPT
        paying = status is Status.PAYING or (
            status is Status.ATTENDANT_REQUIRED and self.state.resume_status is Status.PAYING
        )
        if paying:
            return Screen.PAYING if self.desk.paying is not None else Screen.PAYMENT_CHOICE
        if status is Status.SUSPENDED:
            return Screen.ATTRACT
        if status in (Status.SHOPPING, Status.ATTENDANT_REQUIRED):
            return Screen.BASKET if self.nav.screen is Screen.ATTRACT else self.nav.screen
        return self.nav.screen

    def snapshot(self, seq: int) -> LaneSnapshot:
        config = self.checkout.config
        state = self.state
        locale = self.locale
        currency = config.store.currency
        screen = self.screen()
        priced = self.checkout.priced()
        lines = line_views(state, priced, locale)
        payment = None
        if screen in (Screen.PAYMENT_CHOICE, Screen.PAYING):
            payment = self.desk.view(locale)
        weight = self.weight
        attendant = self.attendant
        overlay_line = None
        if state.attendant_reason is AttendantReason.VOID_LINE and self.nav.pending_void:
            overlay_line = next((v.name for v in lines if v.line_id == self.nav.pending_void), None)
        return LaneSnapshot(
            seq=seq,
            screen=screen,
            locale=locale,
            large_text=self.large_text,
            store_name=config.store.names.get(locale, config.store.store_id),
            status=state.status.value,
            lines=lines,
            basket_discounts=tuple(
                discount_view(d, currency, locale) for d in priced.basket_discounts
            ),
            item_count=sum(1 if v.weight_g else v.quantity for v in lines),
            subtotal=money_text(priced.subtotal_minor, currency, locale),
            savings=money_text(priced.savings_minor, currency, locale)
            if priced.savings_minor
            else "",
            total=money_text(priced.total_minor, currency, locale),
            total_minor=priced.total_minor,
            last_line_id=self.nav.last_line_id,
            member=mask(state.member_id) if state.member_id else None,
            overlay=state.attendant_reason if not self.nav.panel else None,
            overlay_line=overlay_line,
            attendant=None
            if attendant is None
            else AttendantView(
                attendant.attendant_id,
                attendant.name,
                attendant.role.value,
                frozenset(p.value for p in Permission if attendant.may(p)),
            ),
            pin_locked_s=round(self.attendants.locked_for(self._monotonic())),
            payment=payment,
            produce_query=self.nav.produce_query,
            produce=self.nav.produce,
            weight=None
            if weight is None
            else WeightView(weight.grams, weight.stable, weight.sellable, weight.status.value),
            phone_masked=mask_phone(self.nav.phone),
            notice=self.notice,
            receipt=self.nav.receipt,
            devices=self.devices.health() if self.nav.panel else (),
            out_of_service_reason=state.out_of_service_reason,
            refund=self.refunds.view(locale) if self.nav.panel else None,
        )


def phone_member_id(digits: str) -> str:
    """STAND-IN member lookup by phone until head office's member service is wired:
    a stable pseudonymous id, so the journal never holds the phone number in clear."""
    return "TEL-" + hashlib.sha256(digits.encode("ascii")).hexdigest()[:12]
