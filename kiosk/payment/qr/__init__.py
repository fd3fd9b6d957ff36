"""QR micropay (付款码支付): WeChat Pay v2 micropay and Alipay barcode payment.

`WeChatPayMicropay(config)` / `AlipayMicropay(config)` are `PaymentProvider`s with
`charge_code`, `query`, `resolve`, `reverse` (= `cancel`) and `refund`; see
`kiosk.payment.qr.provider` for the flow and `kiosk.payment.qr.sim` for the simulator.
"""

from kiosk.payment.qr.alipay import AlipayConfig
from kiosk.payment.qr.errors import (
    PaymentCodeRequired,
    QrCommunicationError,
    QrConfigError,
    QrFormatError,
    QrPaymentError,
    QrSignatureError,
    QrTransportError,
    UnsupportedCurrency,
)
from kiosk.payment.qr.ids import order_number, refund_number
from kiosk.payment.qr.outcome import DeclineReason, QrPaymentOutcome, RefundOutcome
from kiosk.payment.qr.provider import (
    AlipayMicropay,
    PollPolicy,
    QrMicropayProvider,
    WeChatPayMicropay,
)
from kiosk.payment.qr.wechat import WeChatPayConfig

__all__ = [
    "AlipayConfig",
    "AlipayMicropay",
    "DeclineReason",
    "PaymentCodeRequired",
    "PollPolicy",
    "QrCommunicationError",
    "QrConfigError",
    "QrFormatError",
    "QrMicropayProvider",
    "QrPaymentError",
    "QrPaymentOutcome",
    "QrSignatureError",
    "QrTransportError",
    "RefundOutcome",
    "UnsupportedCurrency",
    "WeChatPayConfig",
    "WeChatPayMicropay",
    "order_number",
    "refund_number",
]
