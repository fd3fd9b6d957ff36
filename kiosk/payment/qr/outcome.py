"""What a QR micropay call comes to: typed outcomes with shopper-facing reasons.

`Step` and `Answer` are the provider-neutral reading of one API answer (WeChat Pay's
`return_code`/`result_code`/`err_code`/`trade_state`, Alipay's `code`/`sub_code`/
`trade_status`); the flow in `kiosk.payment.qr.provider` turns answers into one
`QrPaymentOutcome` per payment.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from kiosk.payment.provider import PaymentOutcome


class DeclineReason(enum.StrEnum):
    """Why a QR payment was not taken (stable values: journal and UI key on them)."""

    INSUFFICIENT_FUNDS = "insufficient_funds"  # WeChat NOTENOUGH, Alipay ACQ.*BALANCE_NOT_ENOUGH
    CODE_EXPIRED = "code_expired"  # WeChat AUTHCODEEXPIRE
    CODE_INVALID = "code_invalid"  # AUTH_CODE_INVALID/_ERROR, ACQ.PAYMENT_AUTH_CODE_INVALID
    USER_TIMEOUT = "user_timeout"  # USERPAYING not confirmed within the polling bound: reversed
    PAYMENT_FAILED = "payment_failed"  # PAYERROR, risk control, wallet switched off
    LIMIT_EXCEEDED = "limit_exceeded"  # day/month/amount limits of buyer or merchant
    CARD_NOT_SUPPORTED = "card_not_supported"  # WeChat NOTSUPORTCARD
    BUYER_MISMATCH = "buyer_mismatch"  # another account already started paying this order
    ORDER_CLOSED = "order_closed"  # the order number was closed or reversed before
    PROVIDER_ERROR = "provider_error"  # system error, nothing charged (confirmed by query)
    MERCHANT_CONFIG = "merchant_config"  # signature, app id, permissions: a technician's job


# Shopper-facing texts (zh_CN, en) per reason; UNRESOLVED for `unknown` outcomes.
MESSAGES: dict[DeclineReason | None, tuple[str, str]] = {
    DeclineReason.INSUFFICIENT_FUNDS: (
        "余额不足，请更换银行卡或付款方式",
        "Insufficient balance: please choose another card or payment method.",
    ),
    DeclineReason.CODE_EXPIRED: (
        "付款码已过期，请刷新付款码后重新扫码",
        "Payment code expired: refresh it in the app and scan again.",
    ),
    DeclineReason.CODE_INVALID: (
        "付款码无效或已过期，请刷新付款码后重新扫码",
        "Payment code not valid or expired: refresh it in the app and scan again.",
    ),
    DeclineReason.USER_TIMEOUT: (
        "未在手机上及时确认付款，本次付款已取消",
        "The payment was not confirmed on the phone in time and has been cancelled.",
    ),
    DeclineReason.PAYMENT_FAILED: (
        "支付失败，请更换付款方式",
        "Payment failed: please use another payment method.",
    ),
    DeclineReason.LIMIT_EXCEEDED: (
        "超出支付限额，请更换付款方式",
        "Payment limit exceeded: please use another payment method.",
    ),
    DeclineReason.CARD_NOT_SUPPORTED: (
        "不支持该银行卡，请更换银行卡或付款方式",
        "This card is not supported: please choose another card or payment method.",
    ),
    DeclineReason.BUYER_MISMATCH: (
        "该订单已由其他账户付款中，请使用原付款账户",
        "Another account is already paying this order: please use that account.",
    ),
    DeclineReason.ORDER_CLOSED: (
        "本次付款已关闭，未扣款，请重新付款",
        "This payment was closed without charging you: please pay again.",
    ),
    DeclineReason.PROVIDER_ERROR: (
        "支付系统繁忙，未扣款，请重试",
        "The payment service is busy and did not charge you: please try again.",
    ),
    DeclineReason.MERCHANT_CONFIG: (
        "暂时无法使用此付款方式，请联系工作人员",
        "This payment method is not available right now: please ask an attendant.",
    ),
    None: (
        "支付结果待确认，请稍候，工作人员将协助您",
        "The payment result is not confirmed yet: please wait, an attendant will help you.",
    ),
}


def shopper_message(reason: DeclineReason | None, locale: str) -> str:
    """The text for the shopper: Chinese for zh* locales, English otherwise."""
    zh, en = MESSAGES[reason]
    return zh if locale.startswith("zh") else en


@dataclass(frozen=True, slots=True)
class QrPaymentOutcome(PaymentOutcome):
    """A `PaymentOutcome` with the QR details.

    `status` approved: money taken once (`reference` = provider transaction id,
    `amount_minor` = what the provider says it took). declined: not taken, and the
    order number is closed at the provider (`decline` says why; `money_returned` if a
    reversal gave money back). unknown: could not be settled; `resolve` later.
    not_found: the provider has no such order. `reason` is `decline.value`,
    "unresolved" or "" (approved).
    """

    decline: DeclineReason | None = None
    provider_code: str = ""  # e.g. NOTENOUGH, ACQ.TRADE_HAS_SUCCESS, TRADE_SUCCESS
    amount_minor: int | None = None
    money_returned: bool = False
    refunded: bool = False  # approved, and a refund was made on it since

    def message(self, locale: str) -> str:
        """Shopper-facing text for this outcome ("" when approved)."""
        if self.status == "approved":
            return ""
        return shopper_message(self.decline if self.status == "declined" else None, locale)


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    """A refund's answer. accepted: the provider took it (WeChat settles it later);
    rejected: it will not be made (`reason` says why); unknown: retry with the same
    refund id, which is idempotent."""

    status: Literal["accepted", "rejected", "unknown"]
    reference: str = ""
    reason: str = ""
    provider_code: str = ""


class Step(enum.StrEnum):
    """The provider-neutral meaning of one answer."""

    PAID = "paid"  # money taken
    PAYING = "paying"  # USERPAYING / NOTPAY / WAIT_BUYER_PAY: the shopper is confirming
    DECLINED = "declined"  # explicit business failure; `decline` set
    REJECTED = "rejected"  # refused before any order existed (signature, config)
    CONFIRM = "confirm"  # pay answer that needs a query (ORDERPAID, inconsistent params)
    FAILED = "failed"  # PAYERROR: not paid, but must still be reversed
    CLOSED = "closed"  # closed/reversed/cancelled, no money held
    REFUNDED = "refunded"  # reversal or refund gave money back / refund accepted
    NOT_FOUND = "not_found"  # no such order
    RETRY = "retry"  # reversal/refund asks to be called again
    UNKNOWN = "unknown"  # system error: the state is not known


@dataclass(frozen=True, slots=True)
class Answer:
    """One API answer, read: `code` and `message` are the provider's own."""

    step: Step
    code: str = ""
    message: str = ""
    transaction_id: str = ""
    amount_minor: int | None = None
    decline: DeclineReason | None = None
    refunded: bool = False
