"""WeChat Pay v2 付款码支付 (micropay) wire client: micropay, orderquery, reverse, refund.

API (pay.weixin.qq.com/doc/v2/merchant/4011937125 and its neighbours): XML POST to
`/pay/micropay`, `/pay/orderquery`, `/secapi/pay/reverse`, `/secapi/pay/refund` (the
last two need the merchant's client certificate). An answer is read in two layers:
`return_code` (communication) then `result_code` / `err_code` (business); a query's
`trade_state` is the order's state. Only `return_code` SUCCESS answers are signed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.payment.qr.errors import QrConfigError, QrFormatError
from kiosk.payment.qr.ids import check_prefix
from kiosk.payment.qr.outcome import Answer, DeclineReason, Step
from kiosk.payment.qr.signing import parse_wechat_xml, wechat_sign, wechat_verify, wechat_xml
from kiosk.payment.qr.transport import post, tls_context

SIGN_TYPE = "HMAC-SHA256"

# err_code of micropay -> what it means for the payment (micropay 错误码 table).
_PAY_ERRORS: dict[str, tuple[Step, DeclineReason | None]] = {
    "USERPAYING": (Step.PAYING, None),
    "SYSTEMERROR": (Step.UNKNOWN, None),
    "BANKERROR": (Step.UNKNOWN, None),
    "ORDERPAID": (Step.CONFIRM, None),
    "OUT_TRADE_NO_USED": (Step.CONFIRM, None),
    "INVALID_REQUEST": (Step.CONFIRM, None),
    "ORDERCLOSED": (Step.DECLINED, DeclineReason.ORDER_CLOSED),
    "ORDERREVERSED": (Step.DECLINED, DeclineReason.ORDER_CLOSED),
    "NOTENOUGH": (Step.DECLINED, DeclineReason.INSUFFICIENT_FUNDS),
    "AUTHCODEEXPIRE": (Step.DECLINED, DeclineReason.CODE_EXPIRED),
    "AUTH_CODE_INVALID": (Step.DECLINED, DeclineReason.CODE_INVALID),
    "AUTH_CODE_ERROR": (Step.DECLINED, DeclineReason.CODE_INVALID),
    "NOTSUPORTCARD": (Step.DECLINED, DeclineReason.CARD_NOT_SUPPORTED),
    "BUYER_MISMATCH": (Step.DECLINED, DeclineReason.BUYER_MISMATCH),
    "TRADE_ERROR": (Step.DECLINED, DeclineReason.PAYMENT_FAILED),
    "NOAUTH": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "APPID_NOT_EXIST": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "MCHID_NOT_EXIST": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "APPID_MCHID_NOT_MATCH": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "LACK_PARAMS": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "PARAM_ERROR": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "SIGNERROR": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "XML_FORMAT_ERROR": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "REQUIRE_POST_METHOD": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "POST_DATA_EMPTY": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
    "NOT_UTF8": (Step.REJECTED, DeclineReason.MERCHANT_CONFIG),
}

# trade_state of orderquery -> step.
_TRADE_STATES: dict[str, Step] = {
    "SUCCESS": Step.PAID,
    "REFUND": Step.PAID,
    "NOTPAY": Step.PAYING,
    "USERPAYING": Step.PAYING,
    "ACCEPT": Step.PAYING,
    "CLOSED": Step.CLOSED,
    "REVOKED": Step.CLOSED,
    "PAYERROR": Step.FAILED,
}

_REFUND_RETRY = frozenset({"SYSTEMERROR", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED"})


@dataclass(frozen=True)
class WeChatPayConfig:
    """A merchant's WeChat Pay v2 settings. `base_url`: https://api.mch.weixin.qq.com
    (or the simulator's URL); `client_cert`/`client_key`: apiclient_cert.pem and
    apiclient_key.pem, needed by reverse and refund on the real API."""

    base_url: str
    appid: str
    mch_id: str
    api_key: str = field(repr=False)
    device_info: str = ""
    spbill_create_ip: str = "127.0.0.1"
    order_prefix: str = ""
    timeout_s: float = 10.0
    client_cert: Path | None = None
    client_key: Path | None = None
    currencies: tuple[str, ...] = ("CNY",)  # fee_type values this merchant account takes

    def __post_init__(self) -> None:
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise QrConfigError(f"WeChat Pay base_url {self.base_url!r}: use https://host")
        for name in ("appid", "mch_id", "api_key"):
            if not getattr(self, name):
                raise QrConfigError(f"WeChat Pay setting {name!r} is empty")
        if not 0 < self.timeout_s <= 120:
            raise QrConfigError(f"WeChat Pay timeout_s {self.timeout_s}: use 0-120 s")
        check_prefix(self.order_prefix)


class WeChatPayApi:
    """One method per API call; each returns an `Answer` or raises
    `QrCommunicationError` (transport, format, signature: outcome unknown)."""

    provider = "wechat"

    def __init__(self, config: WeChatPayConfig, nonce: Callable[[], str] | None = None) -> None:
        self.config = config
        self._nonce = nonce or (lambda: secrets.token_hex(16))
        self._tls = tls_context(config.client_cert, config.client_key)

    def pay(
        self, order_no: str, amount_minor: int, currency: str, code: str, description: str
    ) -> Answer:
        params = {
            "body": description[:127] or "-",
            "out_trade_no": order_no,
            "total_fee": str(amount_minor),
            "fee_type": currency,
            "spbill_create_ip": self.config.spbill_create_ip,
            "auth_code": code,
        }
        if self.config.device_info:
            params["device_info"] = self.config.device_info
        fields = self._call("/pay/micropay", params)
        if fields.get("return_code") != "SUCCESS":
            return _rejected(fields)
        if fields.get("result_code") == "SUCCESS":
            _same_order(fields, order_no)
            return Answer(
                Step.PAID,
                "SUCCESS",
                transaction_id=fields.get("transaction_id", ""),
                amount_minor=_amount(fields),
            )
        err = fields.get("err_code", "")
        step, decline = _PAY_ERRORS.get(err, (Step.UNKNOWN, None))
        return Answer(step, err, fields.get("err_code_des", ""), decline=decline)

    def query(self, order_no: str) -> Answer:
        fields = self._call("/pay/orderquery", {"out_trade_no": order_no})
        if fields.get("return_code") != "SUCCESS":
            return Answer(Step.UNKNOWN, "return_code:FAIL", fields.get("return_msg", ""))
        if fields.get("result_code") != "SUCCESS":
            err = fields.get("err_code", "")
            step = Step.NOT_FOUND if err == "ORDERNOTEXIST" else Step.UNKNOWN
            return Answer(step, err, fields.get("err_code_des", ""))
        _same_order(fields, order_no)
        state = fields.get("trade_state", "")
        return Answer(
            _TRADE_STATES.get(state, Step.UNKNOWN),
            state,
            fields.get("trade_state_desc", ""),
            transaction_id=fields.get("transaction_id", ""),
            amount_minor=_amount(fields) if "total_fee" in fields else None,
            refunded=state == "REFUND",
        )

    def reverse(self, order_no: str) -> Answer:
        fields = self._call("/secapi/pay/reverse", {"out_trade_no": order_no})
        if fields.get("return_code") != "SUCCESS":
            return Answer(Step.UNKNOWN, "return_code:FAIL", fields.get("return_msg", ""))
        err = fields.get("err_code", "")
        if fields.get("recall") == "Y" or err in ("SYSTEMERROR", "USERPAYING"):
            return Answer(Step.RETRY, err or "recall:Y", fields.get("err_code_des", ""))
        if fields.get("result_code") == "SUCCESS":
            return Answer(Step.CLOSED, "SUCCESS")
        if err == "ORDERNOTEXIST":
            return Answer(Step.NOT_FOUND, err, fields.get("err_code_des", ""))
        return Answer(Step.REJECTED, err, fields.get("err_code_des", ""))

    def refund(self, order_no: str, refund_no: str, amount_minor: int, total_minor: int) -> Answer:
        params = {
            "out_trade_no": order_no,
            "out_refund_no": refund_no,
            "total_fee": str(total_minor),
            "refund_fee": str(amount_minor),
        }
        fields = self._call("/secapi/pay/refund", params)
        if fields.get("return_code") != "SUCCESS":
            return _rejected(fields)
        if fields.get("result_code") == "SUCCESS":
            return Answer(Step.REFUNDED, "SUCCESS", transaction_id=fields.get("refund_id", ""))
        err = fields.get("err_code", "")
        message = fields.get("err_code_des", "")
        if err in _REFUND_RETRY:
            return Answer(Step.RETRY, err, message)
        if err == "ORDERNOTEXIST":
            return Answer(Step.NOT_FOUND, err, message)
        return Answer(Step.DECLINED, err, message)

    def _call(self, path: str, params: dict[str, str]) -> dict[str, str]:
        config = self.config
        request = {
            "appid": config.appid,
            "mch_id": config.mch_id,
            "nonce_str": self._nonce(),
            "sign_type": SIGN_TYPE,
            **params,
        }
        request["sign"] = wechat_sign(request, config.api_key)
        body = post(
            config.base_url.rstrip("/") + path,
            wechat_xml(request),
            "text/xml; charset=utf-8",
            config.timeout_s,
            self._tls,
        )
        fields = parse_wechat_xml(body)
        if fields.get("return_code") == "SUCCESS":
            # Only answers the API accepted are signed (APIRules: 回包两层判断).
            wechat_verify(fields, config.api_key, SIGN_TYPE)
            if fields.get("appid", config.appid) != config.appid or (
                fields.get("mch_id", config.mch_id) != config.mch_id
            ):
                raise QrFormatError(f"WeChat Pay {path}: answer is for another merchant")
        return fields


def _rejected(fields: dict[str, str]) -> Answer:
    return Answer(
        Step.REJECTED,
        "return_code:" + fields.get("return_code", ""),
        fields.get("return_msg", ""),
        decline=DeclineReason.MERCHANT_CONFIG,
    )


def _amount(fields: dict[str, str]) -> int:
    text = fields.get("total_fee", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise QrFormatError(f"WeChat Pay total_fee {text[:20]!r} is not an amount in fen")
    return int(text)


def _same_order(fields: dict[str, str], order_no: str) -> None:
    if fields.get("out_trade_no", order_no) != order_no:
        raise QrFormatError("WeChat Pay answer is about another out_trade_no")
