"""The QR micropay flow (付款码支付) behind `PaymentProvider`, for WeChat Pay and Alipay.

PROTOCOLS.md "QR micropay" and the providers' guides (WeChat micropay 注意 1-2, Alipay
当面付 异常处理): pay with the shopper's code; SUCCESS is paid; USERPAYING (the shopper
confirms on the phone) is polled with the order query every `interval_s` up to
`bound_s`, then reversed; a system error, timeout or lost connection is unknown: query
(after `unknown_wait_s`), then reverse what is still open. An explicit failure
(insufficient funds, expired code...) also reverses the order, so that a shopper who
fixes it on the phone cannot pay an order the kiosk gave up. Hence every `declined`
outcome means: no money held, and the order number closed at the provider.

The payment code is never logged, stored or put in an error in clear: only `mask`ed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from kiosk.logging_setup import mask
from kiosk.payment.provider import PaymentOutcome
from kiosk.payment.qr.alipay import AlipayApi, AlipayConfig
from kiosk.payment.qr.errors import (
    PaymentCodeRequired,
    QrCommunicationError,
    QrConfigError,
    UnsupportedCurrency,
)
from kiosk.payment.qr.ids import check_prefix, is_payment_code, order_number, refund_number
from kiosk.payment.qr.outcome import Answer, DeclineReason, QrPaymentOutcome, RefundOutcome, Step
from kiosk.payment.qr.wechat import WeChatPayApi, WeChatPayConfig

log = logging.getLogger(__name__)

NotFound = Literal["close", "report", "wait"]


@dataclass(frozen=True)
class PollPolicy:
    """Timing of the flow, in seconds (WeChat suggests 5 s before querying a system
    error, polling up to 45 s; Alipay's samples poll every 5 s up to 30 s)."""

    interval_s: float = 5.0
    bound_s: float = 45.0
    unknown_wait_s: float = 5.0
    reverse_attempts: int = 5
    retry_wait_s: float = 3.0
    refund_attempts: int = 3

    def __post_init__(self) -> None:
        checks = (
            ("interval_s", 0 < self.interval_s <= 60),
            ("bound_s", 0 <= self.bound_s <= 600),
            ("unknown_wait_s", 0 <= self.unknown_wait_s <= 60),
            ("reverse_attempts", 1 <= self.reverse_attempts <= 20),
            ("retry_wait_s", 0 <= self.retry_wait_s <= 60),
            ("refund_attempts", 1 <= self.refund_attempts <= 20),
        )
        for name, ok in checks:
            if not ok:
                raise QrConfigError(f"QR poll policy {name}={getattr(self, name)} is out of range")


class MicropayApi(Protocol):
    """A provider's wire client (`WeChatPayApi`, `AlipayApi`)."""

    provider: str

    def pay(
        self, order_no: str, amount_minor: int, currency: str, code: str, description: str
    ) -> Answer: ...

    def query(self, order_no: str) -> Answer: ...

    def reverse(self, order_no: str) -> Answer: ...

    def refund(
        self, order_no: str, refund_no: str, amount_minor: int, total_minor: int
    ) -> Answer: ...


class QrMicropayProvider:
    """One QR wallet (`method` "wechat" or "alipay") as a `PaymentProvider`.

    Idempotent per intent: the order number is `order_number(intent_id, prefix)`, so a
    repeated `charge_code` for an intent reaches the same order and charges at most once.
    """

    def __init__(
        self,
        api: MicropayApi,
        policy: PollPolicy | None = None,
        *,
        order_prefix: str = "",
        currencies: tuple[str, ...] = ("CNY",),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.method = api.provider
        self.policy = policy or PollPolicy()
        self.order_prefix = check_prefix(order_prefix)
        self.currencies = currencies
        self._clock = clock
        self._sleep = sleep

    def order_number(self, intent_id: str) -> str:
        """The provider's `out_trade_no` for this intent."""
        return order_number(intent_id, self.order_prefix)

    # --- PaymentProvider -------------------------------------------------------------------

    def charge(self, intent_id: str, amount_minor: int, currency: str) -> PaymentOutcome:
        """Not possible without the shopper's code: raises `PaymentCodeRequired`."""
        raise PaymentCodeRequired(
            f"{self.method} intent {intent_id}: a QR payment needs the shopper's payment "
            "code; call charge_code (or resolve, after a restart)"
        )

    def query(self, intent_id: str) -> QrPaymentOutcome:
        """One order query, no side effect. approved: paid (`refunded` if refunded since);
        declined: closed; not_found; unknown: still paying, PAYERROR (needs a reversal)
        or no answer. To settle an intent for good, call `resolve`."""
        order_no = self.order_number(intent_id)
        answer = self._query(order_no)
        if answer.step is Step.PAID:
            return self._approved(answer)
        if answer.step is Step.CLOSED:
            return self._declined(DeclineReason.ORDER_CLOSED, answer.code)
        if answer.step is Step.NOT_FOUND:
            return QrPaymentOutcome("not_found", reason="not_found", provider_code=answer.code)
        return self._unknown(answer.code)

    # --- paying ---------------------------------------------------------------------------

    def charge_code(
        self,
        intent_id: str,
        amount_minor: int,
        currency: str,
        payment_code: str,
        description: str = "",
    ) -> QrPaymentOutcome:
        """Take `amount_minor` with the shopper's payment code: blocks while the shopper
        confirms (up to `policy.bound_s`) and returns approved, declined (not charged,
        order closed) or unknown (call `resolve` later; hand over to an attendant)."""
        order_no = self.order_number(intent_id)
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
            raise QrConfigError(f"{self.method} intent {intent_id}: amount {amount_minor!r}")
        if currency not in self.currencies:
            raise UnsupportedCurrency(
                f"{self.method} takes {', '.join(self.currencies)}, not {currency!r}"
            )
        fields = {"order_no": order_no, "intent_id": intent_id, "amount_minor": amount_minor}
        masked = mask(payment_code)
        if not is_payment_code(payment_code):
            log.info("QR code refused locally", extra={**fields, "payment_code": masked})
            return self._declined(DeclineReason.CODE_INVALID, "local:not_a_payment_code")
        started = self._clock()
        log.info("QR pay", extra={**fields, "provider": self.method, "payment_code": masked})
        try:
            answer = self.api.pay(order_no, amount_minor, currency, payment_code, description)
        except QrCommunicationError as exc:
            log.warning("QR pay: no trustworthy answer", extra={**fields, "error": str(exc)})
            answer = Answer(Step.UNKNOWN, type(exc).__name__)
        log.info("QR pay answer", extra={**fields, "step": answer.step, "code": answer.code})
        deadline = started + self.policy.bound_s
        match answer.step:
            case Step.PAID:
                return self._approved(answer, amount_minor)
            case Step.REJECTED:
                return self._declined(DeclineReason.MERCHANT_CONFIG, answer.code)
            case Step.DECLINED:
                reason = answer.decline or DeclineReason.PAYMENT_FAILED
                return self._close(order_no, reason, answer.code)
            case Step.PAYING:
                return self._poll(
                    order_no, deadline, self.policy.interval_s, DeclineReason.USER_TIMEOUT, "wait"
                )
            case Step.CONFIRM:
                return self._poll(order_no, deadline, 0.0, DeclineReason.ORDER_CLOSED, "close")
            case _:  # UNKNOWN, or an answer that makes no sense for a payment
                wait = self.policy.unknown_wait_s
                return self._poll(order_no, deadline, wait, DeclineReason.PROVIDER_ERROR, "close")

    def resolve(self, intent_id: str) -> QrPaymentOutcome:
        """Settle an intent whose outcome is not known (after a restart or `unknown`):
        query; a paying order is polled up to `bound_s` then reversed; PAYERROR and
        unanswered orders are reversed. not_found means the provider never had it."""
        order_no = self.order_number(intent_id)
        deadline = self._clock() + self.policy.bound_s
        log.info("QR resolve", extra={"order_no": order_no, "intent_id": intent_id})
        return self._poll(order_no, deadline, 0.0, DeclineReason.ORDER_CLOSED, "report")

    def reverse(self, intent_id: str) -> QrPaymentOutcome:
        """Reverse (WeChat) / cancel (Alipay) the intent's order: declined when closed
        (`money_returned` if it had been paid), unknown if that cannot be confirmed."""
        order_no = self.order_number(intent_id)
        before = self._query(order_no)
        return self._close(order_no, DeclineReason.ORDER_CLOSED, before.code, before)

    cancel = reverse

    def refund(self, intent_id: str, refund_id: str, amount_minor: int) -> RefundOutcome:
        """Refund part or all of a paid intent. Idempotent per `refund_id`: repeat an
        unknown refund with the same id."""
        order_no = self.order_number(intent_id)
        refund_no = refund_number(refund_id, self.order_prefix)
        paid = self._query(order_no)
        if paid.step is Step.UNKNOWN:
            return RefundOutcome("unknown", reason="order query failed", provider_code=paid.code)
        if paid.step is not Step.PAID or paid.amount_minor is None:
            return RefundOutcome("rejected", reason=f"order is not paid ({paid.code})")
        if not 0 < amount_minor <= paid.amount_minor:
            return RefundOutcome(
                "rejected", reason=f"refund {amount_minor} is not within 1..{paid.amount_minor}"
            )
        fields = {"order_no": order_no, "refund_no": refund_no, "amount_minor": amount_minor}
        for attempt in range(self.policy.refund_attempts):
            if attempt:
                self._sleep(self.policy.retry_wait_s)
            try:
                answer = self.api.refund(order_no, refund_no, amount_minor, paid.amount_minor)
            except QrCommunicationError as exc:
                log.warning("QR refund: no answer", extra={**fields, "error": str(exc)})
                continue
            log.info("QR refund answer", extra={**fields, "step": answer.step, "code": answer.code})
            if answer.step is Step.REFUNDED:
                return RefundOutcome("accepted", answer.transaction_id, "", answer.code)
            if answer.step in (Step.DECLINED, Step.REJECTED, Step.NOT_FOUND):
                reason = answer.message or answer.code
                return RefundOutcome("rejected", reason=reason, provider_code=answer.code)
        return RefundOutcome("unknown", reason="no answer from the provider")

    # --- the flow ---------------------------------------------------------------------------

    def _poll(
        self,
        order_no: str,
        deadline: float,
        first_wait: float,
        closed: DeclineReason,
        not_found: NotFound,
    ) -> QrPaymentOutcome:
        """Query until the order is settled or `deadline` passes, then close it.

        `closed`: the reason when the provider reports the order closed; at the
        deadline the reason is USER_TIMEOUT if the shopper was still confirming,
        PROVIDER_ERROR if the provider gave no clear answer.
        """
        wait = first_wait
        while True:
            if wait > 0:
                self._sleep(wait)
            answer = self._query(order_no)
            step = answer.step
            if step is Step.PAID:
                return self._approved(answer)
            if step is Step.CLOSED:
                return self._declined(closed, answer.code)
            if step is Step.FAILED:
                return self._close(order_no, DeclineReason.PAYMENT_FAILED, answer.code)
            if step is Step.NOT_FOUND and not_found == "report":
                return QrPaymentOutcome("not_found", reason="not_found", provider_code=answer.code)
            if step is Step.NOT_FOUND and not_found == "close":
                return self._close(order_no, DeclineReason.PROVIDER_ERROR, answer.code)
            remaining = deadline - self._clock()
            if remaining <= 0:
                paying = step is Step.PAYING
                give_up = DeclineReason.USER_TIMEOUT if paying else DeclineReason.PROVIDER_ERROR
                return self._close(order_no, give_up, answer.code)
            wait = min(self.policy.interval_s, remaining)

    def _close(
        self, order_no: str, reason: DeclineReason, code: str, before: Answer | None = None
    ) -> QrPaymentOutcome:
        """Reverse/cancel until the provider confirms the order is closed."""
        was_paid = before is not None and before.step is Step.PAID
        for attempt in range(self.policy.reverse_attempts):
            if attempt:
                self._sleep(self.policy.retry_wait_s)
            try:
                answer = self.api.reverse(order_no)
            except QrCommunicationError as exc:
                fields = {"order_no": order_no, "error": str(exc)}
                log.warning("QR reverse: no answer", extra=fields)
                continue
            log.info(
                "QR reverse answer",
                extra={"order_no": order_no, "step": answer.step, "code": answer.code},
            )
            if answer.step in (Step.CLOSED, Step.NOT_FOUND, Step.REFUNDED):
                returned = was_paid or answer.step is Step.REFUNDED
                return self._declined(reason, code, money_returned=returned)
            if answer.step is Step.REJECTED:
                # Cannot be reversed (too old, wrong state): what is it now?
                now = self._query(order_no)
                if now.step is Step.PAID:
                    return self._approved(now)
                if now.step in (Step.CLOSED, Step.NOT_FOUND):
                    return self._declined(reason, code)
                return self._unknown(answer.code)
        return self._unknown(code)

    def _query(self, order_no: str) -> Answer:
        try:
            answer = self.api.query(order_no)
        except QrCommunicationError as exc:
            log.warning("QR query: no answer", extra={"order_no": order_no, "error": str(exc)})
            return Answer(Step.UNKNOWN, type(exc).__name__)
        log.info("QR query answer", extra={"order_no": order_no, "step": answer.step})
        return answer

    def _approved(self, answer: Answer, requested: int | None = None) -> QrPaymentOutcome:
        if requested is not None and answer.amount_minor not in (None, requested):
            log.error(
                "QR paid amount differs from the request",
                extra={"paid": answer.amount_minor, "requested": requested},
            )
        return QrPaymentOutcome(
            "approved",
            reference=answer.transaction_id,
            provider_code=answer.code,
            amount_minor=answer.amount_minor if answer.amount_minor is not None else requested,
            refunded=answer.refunded,
        )

    @staticmethod
    def _declined(
        reason: DeclineReason, code: str, *, money_returned: bool = False
    ) -> QrPaymentOutcome:
        return QrPaymentOutcome(
            "declined",
            reason=reason.value,
            decline=reason,
            provider_code=code,
            money_returned=money_returned,
        )

    @staticmethod
    def _unknown(code: str) -> QrPaymentOutcome:
        return QrPaymentOutcome("unknown", reason="unresolved", provider_code=code)


class WeChatPayMicropay(QrMicropayProvider):
    """WeChat Pay v2 付款码支付 as a provider (`method` = "wechat")."""

    def __init__(
        self,
        config: WeChatPayConfig,
        policy: PollPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            WeChatPayApi(config),
            policy,
            order_prefix=config.order_prefix,
            currencies=config.currencies,
            clock=clock,
            sleep=sleep,
        )


class AlipayMicropay(QrMicropayProvider):
    """Alipay 当面付 barcode payment as a provider (`method` = "alipay"); CNY only."""

    def __init__(
        self,
        config: AlipayConfig,
        policy: PollPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            AlipayApi(config, wall_clock),
            policy,
            order_prefix=config.order_prefix,
            currencies=("CNY",),
            clock=clock,
            sleep=sleep,
        )
