"""The `[payment]` section of the kiosk config: which methods a lane offers, and where.

    [payment]
    methods = ["card", "wechat", "alipay"]   # the payment-choice screen, in this order
    simulate = false                         # true: the in-repo simulators, in-process

    [payment.card]                           # a ZVT terminal (PROTOCOLS.md, ZVT)
    url = "tcp://192.168.1.50:20007"         # or serial:///dev/ttyUSB0?baudrate=9600
    password = "000000"

    [payment.qr]                             # WeChat Pay and Alipay micropay
    credentials = "/etc/kiosk/payment-credentials.json"   # mode 0600, never in this file
    wechat_url = "https://api.mch.weixin.qq.com"
    alipay_url = "https://openapi.alipay.com"

Secrets (API key, private keys) live only in the credentials file, which must not be
readable by group or others. With `simulate = true` (or `kiosk run --simulate`) the
card and QR sections are not needed: the kiosk starts its own simulators.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config_table import REQUIRED, Table
from kiosk.errors import ConfigError

CARD = "card"
WECHAT = "wechat"
ALIPAY = "alipay"
QR_METHODS = (WECHAT, ALIPAY)
ALL_METHODS = (CARD, WECHAT, ALIPAY)

DEFAULT_WECHAT_URL = "https://api.mch.weixin.qq.com"
DEFAULT_ALIPAY_URL = "https://openapi.alipay.com"


class PaymentConfigError(ConfigError):
    """The `[payment]` section is wrong: the message names the file, table and key."""


@dataclass(frozen=True, slots=True)
class CardConfig:
    url: str
    password: str = "000000"


@dataclass(frozen=True, slots=True)
class QrConfig:
    credentials: Path
    wechat_url: str = DEFAULT_WECHAT_URL
    alipay_url: str = DEFAULT_ALIPAY_URL


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    methods: tuple[str, ...] = ALL_METHODS
    simulate: bool = False
    card: CardConfig | None = None
    qr: QrConfig | None = None

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, Any], source: str, *, base: Path | None = None
    ) -> PaymentConfig:
        """Parse `[payment]`; relative credential paths are relative to `base`."""
        table = Table(source, "payment", raw, PaymentConfigError)
        methods = _methods(table)
        simulate = table.flag("simulate", default=False)
        card = qr = None
        if "card" in table.table:
            sub = Table(source, "payment.card", table.table["card"], PaymentConfigError)
            card = CardConfig(sub.text("url", REQUIRED), sub.text("password", "000000"))
            if not (card.password.isdigit() and len(card.password) == 6):
                raise sub.fail("password", "must be the terminal's 6-digit password")
            sub.finish()
        if "qr" in table.table:
            sub = Table(source, "payment.qr", table.table["qr"], PaymentConfigError)
            path = Path(sub.text("credentials", REQUIRED))
            qr = QrConfig(
                path if path.is_absolute() or base is None else base / path,
                sub.text("wechat_url", DEFAULT_WECHAT_URL),
                sub.text("alipay_url", DEFAULT_ALIPAY_URL),
            )
            sub.finish()
        table.finish(also_known=frozenset({"card", "qr"}))
        config = cls(methods, simulate, card, qr)
        config.check(source)
        return config

    def check(self, source: str) -> None:
        """Every offered method has somewhere to go (a simulator, or its section)."""
        if self.simulate:
            return
        if CARD in self.methods and self.card is None:
            raise PaymentConfigError(
                f"{source}: [payment] offers card but has no [payment.card] url"
                " (or set simulate = true)"
            )
        if any(m in self.methods for m in QR_METHODS) and self.qr is None:
            raise PaymentConfigError(
                f"{source}: [payment] offers WeChat Pay/Alipay but has no [payment.qr]"
                " credentials (or set simulate = true)"
            )


def _methods(table: Table) -> tuple[str, ...]:
    raw = table.table.get("methods", list(ALL_METHODS))
    table.used.add("methods")
    if not isinstance(raw, list) or not raw or not all(isinstance(m, str) for m in raw):
        raise table.fail("methods", f'expected a list such as ["card", "wechat"], got {raw!r}')
    unknown = [m for m in raw if m not in ALL_METHODS]
    if unknown:
        raise table.fail(
            "methods", f"unknown {', '.join(unknown)}; known: {', '.join(ALL_METHODS)}"
        )
    if len(set(raw)) != len(raw):
        raise table.fail("methods", f"lists a method twice: {raw!r}")
    return tuple(raw)
