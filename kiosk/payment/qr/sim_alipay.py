"""The simulator's Alipay side: one gateway (/gateway.do) taking alipay.trade.pay,
.query, .cancel and .refund, RSA2-signed both ways, with the open API's codes."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from kiosk.payment.qr.alipay import amount_text, parse_amount
from kiosk.payment.qr.errors import QrConfigError, QrFormatError, QrSignatureError
from kiosk.payment.qr.signing import (
    alipay_verify_request,
    load_private_key,
    load_public_key,
    response_key,
    rsa2_sign,
)
from kiosk.payment.qr.sim_keys import SimCredentials
from kiosk.payment.qr.sim_ledger import LedgerOrder, SimLedger
from kiosk.payment.qr.sim_scenario import (
    DROP,
    OPENINGS,
    Reply,
    Scenario,
    SimSettings,
    transaction_id,
)

PROVIDER = "alipay"
PATH = "/gateway.do"
METHODS = ("alipay.trade.pay", "alipay.trade.query", "alipay.trade.cancel", "alipay.trade.refund")
JSON_TYPE = "application/json; charset=utf-8"

_SUCCESS = {"code": "10000", "msg": "Success"}
_REPEAT = {  # trade.pay for an order number already used, by its state
    "SUCCESS": ("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
    "REVOKED": ("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
    "CLOSED": ("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
}
_OPENING_ERRORS = {
    "insufficient": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
    "system_error": ("ACQ.SYSTEM_ERROR", "系统错误"),
    "code_expired": (
        "ACQ.PAYMENT_AUTH_CODE_INVALID",
        "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款",
    ),
}


class AlipaySim:
    def __init__(self, ledger: SimLedger, credentials: SimCredentials, settings: SimSettings):
        self.ledger = ledger
        self.credentials = credentials
        self.settings = settings
        self._app_key = load_public_key(credentials.app_public_key, "app public key")
        self._own_key = load_private_key(credentials.alipay_private_key, "Alipay private key")

    def handle(self, query: str, body: bytes) -> Reply:
        try:
            pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)
            )
        except (UnicodeError, ValueError):
            return self._gateway("alipay.trade.pay", "40002", "isv.invalid-parameter", "参数无效")
        params = dict(pairs)
        method = params.get("method", "")
        if method not in METHODS:
            return self._gateway(
                "alipay.trade.pay", "40002", "isv.invalid-method", "不存在的方法名"
            )
        for name in ("app_id", "sign", "sign_type", "timestamp", "charset", "biz_content"):
            if not params.get(name):
                return self._gateway(method, "40001", f"isv.missing-{name}", f"缺少参数 {name}")
        if params["app_id"] != self.credentials.alipay_app_id:
            return self._gateway(method, "40002", "isv.invalid-app-id", "无效的AppID参数")
        if params["sign_type"] != "RSA2":
            return self._gateway(method, "40002", "isv.invalid-signature-type", "无效的签名类型")
        try:
            alipay_verify_request(params, self._app_key)
        except (QrSignatureError, QrConfigError):
            return self._gateway(method, "40002", "isv.invalid-signature", "验签出错")
        try:
            biz: Any = json.loads(params["biz_content"])
        except ValueError:
            biz = None
        if not isinstance(biz, dict) or not isinstance(biz.get("out_trade_no"), str):
            return self._answer(method, _error("ACQ.INVALID_PARAMETER", "参数无效"))
        with self.ledger.atomic():
            if method == "alipay.trade.pay":
                return self._answer(method, self._pay(biz))
            if method == "alipay.trade.query":
                return self._answer(method, self._query(biz))
            if method == "alipay.trade.cancel":
                return self._answer(method, self._cancel(biz))
            return self._answer(method, self._refund(biz))

    def _pay(self, biz: dict[str, Any]) -> dict[str, str] | Reply:
        no = biz["out_trade_no"]
        code = biz.get("auth_code")
        if biz.get("scene") != "bar_code" or not isinstance(code, str) or not biz.get("subject"):
            return _error("ACQ.INVALID_PARAMETER", "参数无效: scene, auth_code, subject")
        try:
            amount = parse_amount(biz.get("total_amount"))
        except QrFormatError:
            return _error("ACQ.INVALID_PARAMETER", "参数无效: total_amount")
        if not (code.isascii() and code.isdigit() and 16 <= len(code) <= 24) or amount <= 0:
            return _error("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付授权码无效")
        order = self.ledger.get(PROVIDER, no)
        if order is not None:
            if order.amount_minor != amount:
                return _error("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            if order.state in _REPEAT:
                return _error(*_REPEAT[order.state])
            if order.state == "PAYING":
                return {"code": "10003", "msg": "Waiting Payment", "out_trade_no": no}
        scenario = self.settings.scenario_for(code)
        state, opening = OPENINGS[scenario]
        if state is not None:
            order = LedgerOrder(
                PROVIDER,
                no,
                amount,
                "CNY",
                state,
                scenario.value,
                code[-4:],
                transaction_id("2025", no),
                0,
                0,
            )
            self.ledger.put(order)
        if opening == "drop":
            return DROP
        if opening == "paid" and order is not None:
            return {**_SUCCESS, **_paid_fields(order)}
        if opening == "paying":
            return {"code": "10003", "msg": "Waiting Payment", "out_trade_no": no}
        return _error(*_OPENING_ERRORS[opening])

    def _query(self, biz: dict[str, Any]) -> dict[str, str]:
        order = self.ledger.get(PROVIDER, biz["out_trade_no"])
        if order is None:
            return _error("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if order.state == "PAYING":
            order = replace(order, queries=order.queries + 1)
            confirms = order.scenario == Scenario.USER_PAYING_SUCCESS.value
            if confirms and order.queries >= self.settings.confirm_after_queries:
                order = replace(order, state="SUCCESS")
            self.ledger.put(order)
        if order.state == "PAYING":
            status = "WAIT_BUYER_PAY"
        elif order.state == "SUCCESS" and order.refunded_minor < order.amount_minor:
            status = "TRADE_SUCCESS"
        else:  # closed, failed, reversed, or refunded in full (opendocs: TRADE_CLOSED)
            status = "TRADE_CLOSED"
        return {**_SUCCESS, **_paid_fields(order), "trade_status": status}

    def _cancel(self, biz: dict[str, Any]) -> dict[str, str]:
        order = self.ledger.get(PROVIDER, biz["out_trade_no"])
        if order is None:
            return _error("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if order.refunded_minor:
            return _error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法", retry_flag="N")
        action = "refund" if order.state == "SUCCESS" else "close"
        if order.state not in ("CLOSED", "REVOKED"):
            self.ledger.put(replace(order, state="CLOSED"))
        return {**_SUCCESS, "out_trade_no": order.out_trade_no, "retry_flag": "N", "action": action}

    def _refund(self, biz: dict[str, Any]) -> dict[str, str]:
        order = self.ledger.get(PROVIDER, biz["out_trade_no"])
        if order is None:
            return _error("ACQ.TRADE_NOT_EXIST", "交易不存在")
        # out_request_no is optional: without it the refund is keyed by the order number.
        request_no = str(biz.get("out_request_no") or order.out_trade_no)
        try:
            amount = parse_amount(biz.get("refund_amount"))
        except QrFormatError:
            return _error("ACQ.INVALID_PARAMETER", "参数无效: refund_amount")
        done = self.ledger.refund_amount(PROVIDER, request_no)
        if done is not None:
            if done != (order.out_trade_no, amount):
                return _error("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致")
            refunded = order.refunded_minor
            return {**_SUCCESS, **_refund_fields(order, refunded), "fund_change": "N"}
        if order.state != "SUCCESS":
            return _error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if amount <= 0 or order.refunded_minor + amount > order.amount_minor:
            return _error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        self.ledger.add_refund(order, request_no, amount)
        refunded = order.refunded_minor + amount
        return {**_SUCCESS, **_refund_fields(order, refunded), "fund_change": "Y"}

    # --- answers ---------------------------------------------------------------------------

    def _answer(self, method: str, fields: dict[str, str] | Reply) -> Reply:
        if isinstance(fields, Reply):
            return fields
        raw = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        sign = rsa2_sign(raw, self._own_key)
        if self.settings.tamper_responses:
            raw = raw.replace('"code":"', '"code":"4', 1)
        body = f'{{"{response_key(method)}":{raw},"sign":"{sign}"}}'
        return Reply(body.encode("utf-8"), JSON_TYPE)

    @staticmethod
    def _gateway(method: str, code: str, sub_code: str, sub_msg: str) -> Reply:
        # Refusals at the gateway (bad signature, app id, parameters) come unsigned.
        msg = {"40001": "Missing Required Arguments", "40002": "Invalid Arguments"}[code]
        fields = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}
        body = json.dumps({response_key(method): fields}, ensure_ascii=False)
        return Reply(body.encode("utf-8"), JSON_TYPE)


def _error(sub_code: str, sub_msg: str, **extra: str) -> dict[str, str]:
    fields = {"code": "40004", "msg": "Business Failed", "sub_code": sub_code}
    return {**fields, "sub_msg": sub_msg, **extra}


def _paid_fields(order: LedgerOrder) -> dict[str, str]:
    return {
        "out_trade_no": order.out_trade_no,
        "trade_no": order.transaction_id,
        "total_amount": amount_text(order.amount_minor),
        "buyer_logon_id": "159****5620",
    }


def _refund_fields(order: LedgerOrder, refunded_minor: int) -> dict[str, str]:
    return {
        "out_trade_no": order.out_trade_no,
        "trade_no": order.transaction_id,
        "refund_fee": amount_text(refunded_minor),  # all refunds of the order so far
    }
