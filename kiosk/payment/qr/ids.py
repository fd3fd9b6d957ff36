"""Order numbers derived from intent ids, and the payment code's checks.

The provider's order number (WeChat `out_trade_no`: at most 32 of [0-9A-Za-z_-|*];
Alipay: at most 64 of letters, digits, underscore) is a pure function of the intent id,
so a repeated call for the same intent reaches the same order and can never charge
twice. It is `prefix` + the first hex digits of SHA-256(intent id), 32 characters in
all: the common subset of both providers' rules.
"""

from __future__ import annotations

import hashlib
import re

from kiosk.payment.qr.errors import QrConfigError

ORDER_NO_LENGTH = 32
_PREFIX = re.compile(r"[A-Za-z0-9_]{0,12}")
# Payment codes are digits only (PROTOCOLS.md: 16-24 digits today); accept a little
# more than today's lengths, since providers change them, but never anything else.
_PAYMENT_CODE = re.compile(r"[0-9]{10,32}")


def check_prefix(prefix: str) -> str:
    """The prefix if it is 0-12 letters, digits or '_' (e.g. a kiosk number)."""
    if not _PREFIX.fullmatch(prefix):
        raise QrConfigError(
            f"order number prefix {prefix!r}: use 0-12 letters, digits or '_' (e.g. 'K07')"
        )
    return prefix


def order_number(intent_id: str, prefix: str = "") -> str:
    """The provider order number (`out_trade_no`) of an intent: same intent, same number."""
    if not intent_id:
        raise QrConfigError("an intent id is needed to make an order number")
    digest = hashlib.sha256(intent_id.encode("utf-8")).hexdigest()
    return check_prefix(prefix) + digest[: ORDER_NO_LENGTH - len(prefix)]


def refund_number(refund_id: str, prefix: str = "") -> str:
    """The provider refund number (`out_refund_no` / `out_request_no`) of a refund id."""
    return order_number("refund:" + refund_id, prefix)


def is_payment_code(code: str) -> bool:
    """True when `code` can be sent as a payment code (10-32 ASCII digits)."""
    return code.isascii() and bool(_PAYMENT_CODE.fullmatch(code))
