"""The kiosk's WeChat Pay and Alipay credentials, read from a JSON file of their own.

They are secrets (the WeChat Pay API key signs requests, the app private key signs
Alipay requests), so they never sit in the kiosk config, never reach a log, and the
file must not be readable by group or others: a kiosk refuses to start with a file
anyone could copy. Fields:

    {"wechat_appid": "...", "wechat_mch_id": "...", "wechat_api_key": "...",
     "alipay_app_id": "...", "app_private_key": "-----BEGIN PRIVATE KEY-----...",
     "alipay_public_key": "-----BEGIN PUBLIC KEY-----..."}

The simulator's credentials file (`kiosk sim payment-provider`) holds these and more,
so a kiosk can be pointed at the simulator with it.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kiosk.payment.qr.alipay import AlipayConfig
from kiosk.payment.qr.errors import QrConfigError
from kiosk.payment.qr.wechat import WeChatPayConfig


@dataclass(frozen=True)
class ProviderCredentials:
    wechat_appid: str
    wechat_mch_id: str
    wechat_api_key: str = field(repr=False)
    alipay_app_id: str
    app_private_key: str = field(repr=False)
    alipay_public_key: str = field(repr=False)

    @classmethod
    def load(cls, path: Path, *, check_mode: bool = True) -> ProviderCredentials:
        """Read `path`; refuse a file that group or others may read (`check_mode`)."""
        try:
            if check_mode and stat.S_IMODE(path.stat().st_mode) & 0o077:
                raise QrConfigError(
                    f"payment credentials {path}: readable by group or others;"
                    f" run: chmod 600 {path}"
                )
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise QrConfigError(
                f"payment credentials {path}: cannot read: {exc.strerror}"
            ) from None
        except ValueError as exc:
            raise QrConfigError(f"payment credentials {path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise QrConfigError(f"payment credentials {path}: expected a JSON object")
        missing = [f.name for f in fields(cls) if not isinstance(data.get(f.name), str)]
        if missing:
            raise QrConfigError(
                f"payment credentials {path}: missing or not text: {', '.join(missing)}"
            )
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def wechat_config(self, base_url: str, **overrides: Any) -> WeChatPayConfig:
        """A kiosk-side WeChat Pay config for the API at `base_url`."""
        settings: dict[str, Any] = {
            "base_url": base_url,
            "appid": self.wechat_appid,
            "mch_id": self.wechat_mch_id,
            "api_key": self.wechat_api_key,
        }
        return WeChatPayConfig(**{**settings, **overrides})

    def alipay_config(self, base_url: str, **overrides: Any) -> AlipayConfig:
        """A kiosk-side Alipay config for the gateway under `base_url` (+ /gateway.do)."""
        settings: dict[str, Any] = {
            "gateway_url": base_url.rstrip("/") + "/gateway.do",
            "app_id": self.alipay_app_id,
            "app_private_key": self.app_private_key,
            "alipay_public_key": self.alipay_public_key,
        }
        return AlipayConfig(**{**settings, **overrides})
