"""Credentials shared by the provider simulator and the kiosk clients that talk to it.

One JSON file holds both sides: the WeChat Pay API key (a shared secret), the Alipay
app key pair (the kiosk signs, the simulator verifies) and the simulated Alipay key
pair (the simulator signs, the kiosk verifies). Test credentials only.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.payment.credentials import ProviderCredentials
from kiosk.payment.qr.alipay import AlipayConfig
from kiosk.payment.qr.errors import QrConfigError
from kiosk.payment.qr.wechat import WeChatPayConfig


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private, public


@dataclass(frozen=True)
class SimCredentials:
    wechat_appid: str
    wechat_mch_id: str
    wechat_api_key: str = field(repr=False)
    alipay_app_id: str
    app_private_key: str = field(repr=False)
    app_public_key: str = field(repr=False)
    alipay_private_key: str = field(repr=False)
    alipay_public_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> SimCredentials:
        """Fresh random credentials (two 2048-bit RSA key pairs)."""
        app_private, app_public = _key_pair()
        alipay_private, alipay_public = _key_pair()
        return cls(
            wechat_appid="wx" + secrets.token_hex(8),
            wechat_mch_id=str(1_900_000_000 + secrets.randbelow(99_999_999)),
            wechat_api_key=secrets.token_hex(16),
            alipay_app_id="2021" + str(secrets.randbelow(10**12)).zfill(12),
            app_private_key=app_private,
            app_public_key=app_public,
            alipay_private_key=alipay_private,
            alipay_public_key=alipay_public,
        )

    @classmethod
    def load(cls, path: Path) -> SimCredentials:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: str(data[k]) for k in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise QrConfigError(f"simulator credentials {path}: cannot read them: {exc}") from None

    @classmethod
    def load_or_create(cls, path: Path) -> SimCredentials:
        """The credentials in `path`, made and saved (mode 0600) if the file is absent."""
        if path.exists():
            return cls.load(path)
        credentials = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(credentials), out, indent=1)
        return credentials

    def kiosk_side(self) -> ProviderCredentials:
        """What a kiosk holds: its own keys and the simulator's public key."""
        return ProviderCredentials(
            wechat_appid=self.wechat_appid,
            wechat_mch_id=self.wechat_mch_id,
            wechat_api_key=self.wechat_api_key,
            alipay_app_id=self.alipay_app_id,
            app_private_key=self.app_private_key,
            alipay_public_key=self.alipay_public_key,
        )

    def wechat_config(self, base_url: str, **overrides: Any) -> WeChatPayConfig:
        """A kiosk-side WeChat Pay config for the simulator at `base_url`."""
        return self.kiosk_side().wechat_config(base_url, **overrides)

    def alipay_config(self, base_url: str, **overrides: Any) -> AlipayConfig:
        """A kiosk-side Alipay config for the simulator at `base_url`."""
        return self.kiosk_side().alipay_config(base_url, **overrides)
