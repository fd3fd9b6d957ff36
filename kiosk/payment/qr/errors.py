"""Errors of the QR micropay clients (WeChat Pay v2, Alipay open API).

None of these messages ever holds a payment code in clear: callers pass masked values
only (`kiosk.logging_setup.mask`), and request bodies are never quoted.
"""

from __future__ import annotations

from kiosk.payment.provider import PaymentError


class QrPaymentError(PaymentError):
    """Root of the QR micropay errors."""


class QrConfigError(QrPaymentError):
    """A merchant setting is missing or malformed (key, app id, PEM, prefix)."""


class PaymentCodeRequired(QrPaymentError):
    """`charge` was called on a QR provider: a payment needs the shopper's code."""


class UnsupportedCurrency(QrPaymentError):
    """The provider's API cannot take payments in this currency."""


class QrCommunicationError(QrPaymentError):
    """No trustworthy answer: the outcome of the request is unknown and must be queried."""


class QrTransportError(QrCommunicationError):
    """Connection refused, reset or timed out, or an HTTP status other than 200."""


class QrFormatError(QrCommunicationError):
    """A message is not well-formed XML/JSON of the expected shape."""


class QrSignatureError(QrCommunicationError):
    """A message's signature is missing or does not verify: its content is not trusted."""
