"""The simulator's WeChat Pay v2 side: /pay/micropay, /pay/orderquery,
/secapi/pay/reverse, /secapi/pay/refund, with the API's codes and signatures."""

from __future__ import annotations

import secrets
from dataclasses import replace

from kiosk.payment.qr.errors import QrFormatError, QrSignatureError
from kiosk.payment.qr.signing import parse_wechat_xml, wechat_sign, wechat_verify, wechat_xml
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

PROVIDER = "wechat"
PATHS = ("/pay/micropay", "/pay/orderquery", "/secapi/pay/reverse", "/secapi/pay/refund")

_TRADE_STATE = {
    "PAYING": "USERPAYING",
    "SUCCESS": "SUCCESS",
    "FAILED": "PAYERROR",
    "CLOSED": "CLOSED",
    "REVOKED": "REVOKED",
}
_REPEAT = {  # micropay for an order number already used, by its state
    "SUCCESS": ("ORDERPAID", "商户订单已支付"),
    "PAYING": ("USERPAYING", "需要用户输入支付密码"),
    "REVOKED": ("ORDERREVERSED", "订单已撤销"),
    "CLOSED": ("ORDERCLOSED", "订单已关闭"),
}
_OPENING_ERRORS = {
    "paying": ("USERPAYING", "需要用户输入支付密码"),
    "insufficient": ("NOTENOUGH", "余额不足"),
    "system_error": ("SYSTEMERROR", "系统超时"),
    "code_expired": ("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"),
}


class WeChatPaySim:
    def __init__(self, ledger: SimLedger, credentials: SimCredentials, settings: SimSettings):
        self.ledger = ledger
        self.credentials = credentials
        self.settings = settings

    def handle(self, path: str, body: bytes) -> Reply:
        try:
            request = parse_wechat_xml(body)
        except QrFormatError:
            return self._fail("XML格式错误")
        sign_type = request.get("sign_type", "MD5")
        try:
            wechat_verify(request, self.credentials.wechat_api_key, sign_type)
        except QrSignatureError:
            return self._fail("签名错误")
        call = _Call(self, sign_type)
        if (request.get("appid"), request.get("mch_id")) != (
            self.credentials.wechat_appid,
            self.credentials.wechat_mch_id,
        ):
            return call.error("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if not request.get("out_trade_no"):
            return call.error("LACK_PARAMS", "缺少参数 out_trade_no")
        with self.ledger.atomic():
            if path == "/pay/micropay":
                return call.micropay(request)
            if path == "/pay/orderquery":
                return call.query(request)
            if path == "/secapi/pay/reverse":
                return call.reverse(request)
            return call.refund(request)

    @staticmethod
    def _fail(message: str) -> Reply:
        # Communication failures are not signed (APIRules: return_code FAIL).
        return Reply(wechat_xml({"return_code": "FAIL", "return_msg": message}))


class _Call:
    """One request: answers are signed with the request's sign_type."""

    def __init__(self, sim: WeChatPaySim, sign_type: str) -> None:
        self.ledger = sim.ledger
        self.credentials = sim.credentials
        self.settings = sim.settings
        self.sign_type = sign_type

    def micropay(self, request: dict[str, str]) -> Reply:
        for name in ("body", "total_fee", "spbill_create_ip", "auth_code"):
            if not request.get(name):
                return self.error("LACK_PARAMS", f"缺少参数 {name}")
        amount = _fen(request["total_fee"])
        code = request["auth_code"]
        if amount is None or amount <= 0:
            return self.error("PARAM_ERROR", "total_fee 参数错误")
        if not (code.isascii() and code.isdigit() and len(code) == 18 and "10" <= code[:2] <= "15"):
            return self.error(
                "AUTH_CODE_INVALID", "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)"
            )
        no = request["out_trade_no"]
        order = self.ledger.get(PROVIDER, no)
        if order is not None:
            if order.amount_minor != amount:
                return self.error("OUT_TRADE_NO_USED", "商户订单号重复")
            if order.state in _REPEAT:
                return self.error(*_REPEAT[order.state])
        scenario = self.settings.scenario_for(code)
        state, opening = OPENINGS[scenario]
        if state is not None:
            order = LedgerOrder(
                PROVIDER,
                no,
                amount,
                request.get("fee_type", "CNY"),
                state,
                scenario.value,
                code[-4:],
                transaction_id("4200", no),
                0,
                0,
            )
            self.ledger.put(order)
        if opening == "drop":
            return DROP
        if opening == "paid" and order is not None:
            return self.ok(self._paid_fields(order))
        return self.error(*_OPENING_ERRORS[opening])

    def query(self, request: dict[str, str]) -> Reply:
        order = self.ledger.get(PROVIDER, request["out_trade_no"])
        if order is None:
            return self.error("ORDERNOTEXIST", "此交易订单号不存在")
        if order.state == "PAYING":
            order = replace(order, queries=order.queries + 1)
            confirms = order.scenario == Scenario.USER_PAYING_SUCCESS.value
            if confirms and order.queries >= self.settings.confirm_after_queries:
                order = replace(order, state="SUCCESS")
            self.ledger.put(order)
        state = _TRADE_STATE[order.state]
        if order.state == "SUCCESS" and order.refunded_minor:
            state = "REFUND"
        fields = {
            "out_trade_no": order.out_trade_no,
            "trade_state": state,
            "trade_state_desc": state,
            "total_fee": str(order.amount_minor),
            "fee_type": order.currency,
        }
        if order.state == "SUCCESS":
            fields.update(self._paid_fields(order))
        return self.ok(fields)

    def reverse(self, request: dict[str, str]) -> Reply:
        order = self.ledger.get(PROVIDER, request["out_trade_no"])
        if order is None:
            return self.error("ORDERNOTEXIST", "此交易订单号不存在", recall="N")
        if order.refunded_minor:
            return self.error("REVERSE_EXPIRE", "订单已退款，无法撤销", recall="N")
        if order.state != "REVOKED":
            self.ledger.put(replace(order, state="REVOKED"))
        return self.ok({"recall": "N"})

    def refund(self, request: dict[str, str]) -> Reply:
        for name in ("out_refund_no", "total_fee", "refund_fee"):
            if not request.get(name):
                return self.error("LACK_PARAMS", f"缺少参数 {name}")
        order = self.ledger.get(PROVIDER, request["out_trade_no"])
        if order is None:
            return self.error("ORDERNOTEXIST", "此交易订单号不存在")
        refund_no = request["out_refund_no"]
        amount = _fen(request["refund_fee"])
        if amount is None or amount <= 0 or _fen(request["total_fee"]) != order.amount_minor:
            return self.error("PARAM_ERROR", "订单金额或退款金额与之前请求不一致")
        done = self.ledger.refund_amount(PROVIDER, refund_no)
        if done is not None:
            if done != (order.out_trade_no, amount):
                return self.error("PARAM_ERROR", "退款单号重复，参数不一致")
            return self.ok(self._refund_fields(order, refund_no, amount))
        if order.state != "SUCCESS":
            return self.error("ERROR", "订单状态错误")
        if order.refunded_minor + amount > order.amount_minor:
            return self.error("ERROR", "累计退款金额大于支付金额")
        self.ledger.add_refund(order, refund_no, amount)
        return self.ok(self._refund_fields(order, refund_no, amount))

    # --- answers ---------------------------------------------------------------------------

    @staticmethod
    def _paid_fields(order: LedgerOrder) -> dict[str, str]:
        return {
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "total_fee": str(order.amount_minor),
            "fee_type": order.currency,
            "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "is_subscribe": "N",
            "trade_type": "MICROPAY",
            "bank_type": "OTHERS",
            "time_end": "20250101120000",
        }

    @staticmethod
    def _refund_fields(order: LedgerOrder, refund_no: str, amount: int) -> dict[str, str]:
        return {
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "out_refund_no": refund_no,
            "refund_id": transaction_id("5030", refund_no),
            "refund_fee": str(amount),
            "total_fee": str(order.amount_minor),
        }

    def error(self, err_code: str, message: str, **extra: str) -> Reply:
        return self.ok(
            {"result_code": "FAIL", "err_code": err_code, "err_code_des": message, **extra}
        )

    def ok(self, fields: dict[str, str]) -> Reply:
        answer = {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": self.credentials.wechat_appid,
            "mch_id": self.credentials.wechat_mch_id,
            "nonce_str": secrets.token_hex(8),
            "result_code": "SUCCESS",
            **fields,
        }
        answer["sign"] = wechat_sign(answer, self.credentials.wechat_api_key, self.sign_type)
        if self.settings.tamper_responses:
            answer["result_code"] = "SUCCESS" if answer["result_code"] != "SUCCESS" else "FAIL"
        return Reply(wechat_xml(answer))


def _fen(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
