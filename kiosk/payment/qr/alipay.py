"""Alipay 当面付 barcode payment wire client: trade.pay, trade.query, trade.cancel,
trade.refund (opendocs.alipay.com, alipay.trade.pay with scene=bar_code).

One gateway URL; form POST of the common parameters plus `biz_content` (JSON), signed
RSA2 with the app's private key; answers are verified with Alipay's public key. `code`
10000 is success, 10003 "waiting for the buyer" (the shopper confirms on the phone),
20000 "service unavailable" (unknown), 40004 a business failure told by `sub_code`;
40001/40002/40006/20001 are refusals at the gateway, before any order exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit

from kiosk.payment.qr.errors import QrConfigError, QrFormatError, QrSignatureError
from kiosk.payment.qr.ids import check_prefix
from kiosk.payment.qr.outcome import Answer, DeclineReason, Step
from kiosk.payment.qr.signing import (
    alipay_response,
    alipay_sign,
    load_private_key,
    load_public_key,
    response_key,
    rsa2_verify,
)
from kiosk.payment.qr.transport import post, tls_context

BEIJING = timezone(timedelta(hours=8))  # Alipay's `timestamp` is China Standard Time
GATEWAY_REFUSALS = frozenset({"20001", "40001", "40002", "40006"})

_M = DeclineReason.MERCHANT_CONFIG
_PAY_SUB_CODES: dict[str, tuple[Step, DeclineReason | None]] = {
    "ACQ.SYSTEM_ERROR": (Step.UNKNOWN, None),
    "ACQ.TRADE_HAS_SUCCESS": (Step.CONFIRM, None),
    "ACQ.CONTEXT_INCONSISTENT": (Step.CONFIRM, None),
    "ACQ.TRADE_HAS_CLOSE": (Step.DECLINED, DeclineReason.ORDER_CLOSED),
    "ACQ.BUYER_BALANCE_NOT_ENOUGH": (Step.DECLINED, DeclineReason.INSUFFICIENT_FUNDS),
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": (Step.DECLINED, DeclineReason.INSUFFICIENT_FUNDS),
    "ACQ.PAYMENT_AUTH_CODE_INVALID": (Step.DECLINED, DeclineReason.CODE_INVALID),
    "ACQ.TRADE_BUYER_NOT_MATCH": (Step.DECLINED, DeclineReason.BUYER_MISMATCH),
    "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.TOTAL_FEE_EXCEED": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.BEYOND_PAY_RESTRICTION": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.BEYOND_PER_RECEIPT_RESTRICTION": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.PRODUCT_AMOUNT_LIMIT_ERROR": (Step.DECLINED, DeclineReason.LIMIT_EXCEEDED),
    "ACQ.PAYMENT_FAIL": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.PULL_MOBILE_CASHIER_FAIL": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.PAYMENT_REQUEST_HAS_RISK": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.BUYER_ENABLE_STATUS_FORBID": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.ERROR_BALANCE_PAYMENT_DISABLE": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.MOBILE_PAYMENT_SWITCH_OFF": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.BUYER_SELLER_EQUAL": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "ACQ.INVALID_PARAMETER": (Step.REJECTED, _M),
    "ACQ.ACCESS_FORBIDDEN": (Step.REJECTED, _M),
    "ACQ.EXIST_FORBIDDEN_WORD": (Step.REJECTED, _M),
    "ACQ.PARTNER_ERROR": (Step.REJECTED, _M),
    "ACQ.SELLER_BEEN_BLOCKED": (Step.REJECTED, _M),
    "ACQ.INVALID_STORE_ID": (Step.REJECTED, _M),
    "ACQ.AUTH_TOKEN_IS_NOT_EXIST": (Step.REJECTED, _M),
}

_TRADE_STATUS: dict[str, Step] = {
    "WAIT_BUYER_PAY": Step.PAYING,
    "TRADE_SUCCESS": Step.PAID,
    "TRADE_FINISHED": Step.PAID,
    "TRADE_CLOSED": Step.CLOSED,  # also after a full refund (opendocs: trade_status)
}

_REFUND_DECLINES = frozenset(
    {
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
        "ACQ.SELLER_BALANCE_NOT_ENOUGH",
        "ACQ.TRADE_STATUS_ERROR",
        "ACQ.REASON_TRADE_BEEN_FREEZEN",
        "ACQ.TRADE_HAS_FINISHED",
        "ACQ.DISCORDANT_REPEAT_REQUEST",
        "ACQ.TRADE_NOT_ALLOW_REFUND",
    }
)


@dataclass(frozen=True)
class AlipayConfig:
    """An app's Alipay settings. `gateway_url`: https://openapi.alipay.com/gateway.do
    (or the simulator's URL + /gateway.do); keys as PEM or Alipay's bare base64."""

    gateway_url: str
    app_id: str
    app_private_key: str = field(repr=False)
    alipay_public_key: str = field(repr=False)
    store_id: str = ""
    terminal_id: str = ""
    order_prefix: str = ""
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if urlsplit(self.gateway_url).scheme not in ("http", "https"):
            raise QrConfigError(f"Alipay gateway_url {self.gateway_url!r}: use https://host/...")
        if not self.app_id:
            raise QrConfigError("Alipay setting 'app_id' is empty")
        if not 0 < self.timeout_s <= 120:
            raise QrConfigError(f"Alipay timeout_s {self.timeout_s}: use 0-120 s")
        check_prefix(self.order_prefix)


def amount_text(amount_minor: int) -> str:
    """Fen to Alipay's yuan text with two decimals: 1234 -> "12.34"."""
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def parse_amount(text: object) -> int:
    """Alipay's yuan text to fen, exactly; `QrFormatError` otherwise."""
    try:
        if not isinstance(text, str) or len(text) > 20:
            raise InvalidOperation
        value = Decimal(text) * 100
        if not value.is_finite() or value != value.to_integral_value() or value < 0:
            raise InvalidOperation
    except InvalidOperation:
        raise QrFormatError(f"Alipay amount {str(text)[:20]!r} is not yuan.fen") from None
    return int(value)


class AlipayApi:
    """One method per API call; each returns an `Answer` or raises
    `QrCommunicationError` (transport, format, signature: outcome unknown)."""

    provider = "alipay"

    def __init__(
        self, config: AlipayConfig, wall_clock: Callable[[], datetime] | None = None
    ) -> None:
        self.config = config
        self._private_key = load_private_key(config.app_private_key)
        self._public_key = load_public_key(config.alipay_public_key)
        self._now = wall_clock or (lambda: datetime.now(BEIJING))
        self._tls = tls_context()

    def pay(
        self, order_no: str, amount_minor: int, currency: str, code: str, description: str
    ) -> Answer:
        biz: dict[str, str] = {
            "out_trade_no": order_no,
            "scene": "bar_code",
            "auth_code": code,
            "product_code": "FACE_TO_FACE_PAYMENT",
            "subject": description[:256] or "-",
            "total_amount": amount_text(amount_minor),
        }
        if self.config.store_id:
            biz["store_id"] = self.config.store_id
        if self.config.terminal_id:
            biz["terminal_id"] = self.config.terminal_id
        r = self._call("alipay.trade.pay", biz)
        code_ = r.get("code")
        if code_ == "10000":
            _same_order(r, order_no)
            return Answer(
                Step.PAID,
                "10000",
                transaction_id=_text(r, "trade_no"),
                amount_minor=parse_amount(r.get("total_amount")),
            )
        if code_ == "10003":
            return Answer(Step.PAYING, "10003", _text(r, "msg"))
        if code_ in GATEWAY_REFUSALS:
            return Answer(Step.REJECTED, _sub(r), _text(r, "sub_msg"), decline=_M)
        if code_ == "40004":
            sub = _text(r, "sub_code")
            step, decline = _PAY_SUB_CODES.get(sub, (Step.UNKNOWN, None))
            return Answer(step, sub, _text(r, "sub_msg"), decline=decline)
        return Answer(Step.UNKNOWN, _sub(r), _text(r, "sub_msg"))

    def query(self, order_no: str) -> Answer:
        r = self._call("alipay.trade.query", {"out_trade_no": order_no})
        if r.get("code") == "10000":
            _same_order(r, order_no)
            status = _text(r, "trade_status")
            return Answer(
                _TRADE_STATUS.get(status, Step.UNKNOWN),
                status,
                transaction_id=_text(r, "trade_no"),
                amount_minor=parse_amount(r["total_amount"]) if "total_amount" in r else None,
            )
        if r.get("code") == "40004" and r.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return Answer(Step.NOT_FOUND, "ACQ.TRADE_NOT_EXIST", _text(r, "sub_msg"))
        return Answer(Step.UNKNOWN, _sub(r), _text(r, "sub_msg"))

    def reverse(self, order_no: str) -> Answer:
        r = self._call("alipay.trade.cancel", {"out_trade_no": order_no})
        sub = _sub(r)
        if r.get("retry_flag") == "Y" or sub == "ACQ.SYSTEM_ERROR" or r.get("code") == "20000":
            return Answer(Step.RETRY, sub, _text(r, "sub_msg"))
        if r.get("code") == "10000":
            refunded = r.get("action") == "refund"
            return Answer(Step.REFUNDED if refunded else Step.CLOSED, _text(r, "action"))
        if sub == "ACQ.TRADE_NOT_EXIST":
            return Answer(Step.NOT_FOUND, sub, _text(r, "sub_msg"))
        if r.get("code") == "40004":
            return Answer(Step.REJECTED, sub, _text(r, "sub_msg"))
        return Answer(Step.UNKNOWN, sub, _text(r, "sub_msg"))

    def refund(self, order_no: str, refund_no: str, amount_minor: int, total_minor: int) -> Answer:
        biz = {
            "out_trade_no": order_no,
            "out_request_no": refund_no,
            "refund_amount": amount_text(amount_minor),
        }
        r = self._call("alipay.trade.refund", biz)
        sub = _sub(r)
        if r.get("code") == "10000":
            return Answer(Step.REFUNDED, "10000", transaction_id=_text(r, "trade_no"))
        if sub == "ACQ.SYSTEM_ERROR" or r.get("code") == "20000":
            return Answer(Step.RETRY, sub, _text(r, "sub_msg"))
        if sub == "ACQ.TRADE_NOT_EXIST":
            return Answer(Step.NOT_FOUND, sub, _text(r, "sub_msg"))
        if sub in _REFUND_DECLINES or r.get("code") in GATEWAY_REFUSALS:
            return Answer(Step.DECLINED, sub, _text(r, "sub_msg"))
        return Answer(Step.UNKNOWN, sub, _text(r, "sub_msg"))

    def _call(self, method: str, biz: dict[str, str]) -> dict[str, Any]:
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self._now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = alipay_sign(params, self._private_key)
        body = post(
            self.config.gateway_url,
            urlencode(params).encode("ascii"),
            "application/x-www-form-urlencoded; charset=utf-8",
            self.config.timeout_s,
            self._tls,
        )
        raw, response, sign = alipay_response(body, response_key(method))
        if sign:
            rsa2_verify(raw, sign, self._public_key)
        elif response.get("code") not in GATEWAY_REFUSALS:
            # Refusals at the gateway may come unsigned (the SDKs accept them so);
            # anything that speaks of an order must be signed.
            raise QrSignatureError(f"Alipay {method}: answer is not signed")
        if not isinstance(response.get("code"), str):
            raise QrFormatError(f"Alipay {method}: answer has no code")
        return response


def _text(r: dict[str, Any], key: str) -> str:
    value = r.get(key, "")
    return value if isinstance(value, str) else str(value)


def _sub(r: dict[str, Any]) -> str:
    return _text(r, "sub_code") or _text(r, "code")


def _same_order(r: dict[str, Any], order_no: str) -> None:
    if r.get("out_trade_no", order_no) != order_no:
        raise QrFormatError("Alipay answer is about another out_trade_no")
