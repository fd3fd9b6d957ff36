"""Payment codes (付款码) and loyalty member codes: store-configured patterns.

Written by hand: no barcode library knows these; they are provider conventions that
change (PROTOCOLS.md, QR micropay: "Treat these as patterns from config").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# PROTOCOLS.md, QR micropay: WeChat Pay 18 digits starting 10–15; Alipay 16–24 digits
# starting 25–30; UnionPay QR 19 digits starting 62.
DEFAULT_PAYMENT_CODES: tuple[tuple[str, str], ...] = (
    ("wechat", r"1[0-5][0-9]{16}"),
    ("alipay", r"(2[5-9]|30)[0-9]{14,22}"),
    ("unionpay", r"62[0-9]{17}"),
)
# Member cards: "M" + 6–16 digits. A pattern may name a group `id` to pick the member id.
DEFAULT_MEMBER_PATTERNS: tuple[str, ...] = (r"M[0-9]{6,16}",)

_MEMBER_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")


def payment_provider(text: str, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> str | None:
    """The provider whose payment-code pattern matches all of `text`, if any."""
    for provider, pattern in patterns:
        if pattern.fullmatch(text):
            return provider
    return None


def member_id(
    text: str, patterns: Sequence[re.Pattern[str]], url_prefixes: Sequence[str]
) -> str | None:
    """The member id if `text` is a member code: a pattern match (its `id` group, or the
    whole code), or a configured URL prefix followed by an id (letters, digits, ._~-)."""
    for pattern in patterns:
        match = pattern.fullmatch(text)
        if match:
            if "id" in pattern.groupindex and match.group("id"):
                return match.group("id")
            return text
    for prefix in url_prefixes:
        if text.startswith(prefix) and _MEMBER_ID.fullmatch(text[len(prefix) :]):
            return text[len(prefix) :]
    return None
