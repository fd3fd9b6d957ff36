"""Signing and message codecs of WeChat Pay v2 and the Alipay open API.

WeChat Pay v2 (pay.weixin.qq.com, 签名生成算法): parameters with a non-empty value,
except `sign`, sorted by name in ASCII order, joined as `k=v&k=v`, then `&key=API_KEY`
appended; HMAC-SHA256 keyed with the API key (or MD5, the default when `sign_type` is
absent), upper-case hex. Messages are flat `<xml>` documents.

Alipay (opendocs.alipay.com, 自行实现签名): request parameters with a non-empty value,
except `sign`, sorted, joined as `k=v&k=v` (raw values, UTF-8), signed SHA256withRSA
(PKCS#1 v1.5, "RSA2"), base64. A response is JSON `{"<method>_response": {...},
"sign": "..."}`; the signature covers the exact text of the `<method>_response` value.

Written here rather than taken from an SDK: the official SDKs are Java/PHP, and the
Python ones pull in web frameworks or old crypto packages; the rules are a few lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.payment.qr.errors import QrConfigError, QrFormatError, QrSignatureError

MAX_MESSAGE_BYTES = 1 << 20
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# XML 1.0 Char production: these code points cannot appear in a document at all.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def canonical_string(params: Mapping[str, str]) -> str:
    """`k=v&k=v` over the non-empty parameters except `sign`, sorted by name."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")


# --- WeChat Pay v2 ---------------------------------------------------------------------------


def wechat_sign(params: Mapping[str, str], api_key: str, sign_type: str | None = None) -> str:
    """The `sign` for these parameters, by `sign_type` (default: the parameters' own
    `sign_type`, else MD5 as WeChat Pay assumes): upper-case hex."""
    kind = sign_type or params.get("sign_type", "MD5")
    text = (canonical_string(params) + "&key=" + api_key).encode("utf-8")
    if kind == "HMAC-SHA256":
        return hmac.new(api_key.encode("utf-8"), text, hashlib.sha256).hexdigest().upper()
    if kind == "MD5":
        return hashlib.md5(text, usedforsecurity=False).hexdigest().upper()
    raise QrSignatureError(f"WeChat Pay: unknown sign_type {kind!r}")


def wechat_verify(params: Mapping[str, str], api_key: str, sign_type: str = "HMAC-SHA256") -> None:
    """Raise `QrSignatureError` unless `params["sign"]` is right.

    An answer is signed with the request's sign type; it may omit `sign_type` itself.
    """
    given = params.get("sign", "")
    if not given:
        raise QrSignatureError("WeChat Pay message has no sign")
    expected = wechat_sign(params, api_key, params.get("sign_type", sign_type))
    if not hmac.compare_digest(given.upper().encode("utf-8"), expected.encode("utf-8")):
        raise QrSignatureError("WeChat Pay message signature does not verify")


def wechat_xml(params: Mapping[str, str]) -> bytes:
    """A flat `<xml>` document (UTF-8) of these parameters."""
    parts = ["<xml>"]
    for key, value in params.items():
        if not _XML_NAME.fullmatch(key):
            raise QrFormatError(f"WeChat Pay field name {key!r} is not an XML name")
        if _XML_FORBIDDEN.search(value):
            raise QrFormatError(f"WeChat Pay field {key!r} holds characters XML cannot carry")
        parts.append(f"<{key}>{escape(value)}</{key}>")
    parts.append("</xml>")
    return "".join(parts).encode("utf-8")


def parse_wechat_xml(data: bytes) -> dict[str, str]:
    """The fields of a flat `<xml>` document; `QrFormatError` for anything else.

    DTDs are refused outright (no entity expansion, no external entities), as
    defusedxml does; the documents are flat, so nothing more is needed.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise QrFormatError(f"WeChat Pay message of {len(data)} bytes is too long")
    if b"<!" in data.replace(b"<![CDATA[", b""):
        raise QrFormatError("WeChat Pay message has a DTD or declaration: refused")
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError, UnicodeError) as exc:
        raise QrFormatError(f"WeChat Pay message is not XML: {exc}") from None
    if root.tag != "xml":
        raise QrFormatError(f"WeChat Pay message root is <{root.tag}>, not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or not isinstance(child.tag, str):
            raise QrFormatError(f"WeChat Pay field <{child.tag}> is not flat text")
        if child.tag in fields:
            raise QrFormatError(f"WeChat Pay field <{child.tag}> appears twice")
        fields[child.tag] = child.text or ""
    return fields


# --- Alipay ------------------------------------------------------------------------------------


def _pem(text: str, kind: str) -> bytes:
    body = text.strip()
    if "-----BEGIN" in body:
        return body.encode()
    # Alipay's console hands keys out as bare base64: wrap them as PEM.
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def load_private_key(text: str, what: str = "Alipay app private key") -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8) or bare base64 PKCS#8."""
    try:
        key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise QrConfigError(f"{what}: not an unencrypted PEM/base64 RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise QrConfigError(f"{what}: not an RSA key (RSA2 needs RSA)")
    return key


def load_public_key(text: str, what: str = "Alipay public key") -> rsa.RSAPublicKey:
    """An RSA public key from PEM or bare base64 SubjectPublicKeyInfo."""
    try:
        key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise QrConfigError(f"{what}: not a PEM/base64 RSA public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise QrConfigError(f"{what}: not an RSA key (RSA2 needs RSA)")
    return key


def rsa2_sign(content: str, key: rsa.RSAPrivateKey) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of the UTF-8 content."""
    signature = key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(content: str, sign: str, key: rsa.RSAPublicKey) -> None:
    """Raise `QrSignatureError` unless `sign` is `content`'s RSA2 signature."""
    try:
        raw = base64.b64decode(sign, validate=True)
        key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        raise QrSignatureError("Alipay signature does not verify") from None


def alipay_sign(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    """The `sign` of an Alipay request's parameters."""
    return rsa2_sign(canonical_string(params), key)


def alipay_verify_request(params: Mapping[str, str], key: rsa.RSAPublicKey) -> None:
    """Raise `QrSignatureError` unless the request's `sign` verifies."""
    rsa2_verify(canonical_string(params), params.get("sign", ""), key)


def response_key(method: str) -> str:
    """`alipay.trade.pay` -> `alipay_trade_pay_response`."""
    return method.replace(".", "_") + "_response"


def alipay_response(body: bytes, key: str) -> tuple[str, dict[str, Any], str]:
    """(exact text of `key`'s value, that value parsed, the `sign` or "").

    The text is cut from the body as sent, since the signature covers those bytes;
    re-serialising the parsed object would not reproduce them.
    """
    if len(body) > MAX_MESSAGE_BYTES:
        raise QrFormatError(f"Alipay response of {len(body)} bytes is too long")
    try:
        text = body.decode("utf-8")
        members = _top_level_members(text)
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise QrFormatError(f"Alipay response is not a JSON object: {exc}") from None
    if key not in members:
        raise QrFormatError(f"Alipay response has no {key!r}")
    raw, value = members[key]
    if not isinstance(value, dict):
        raise QrFormatError(f"Alipay response {key!r} is not an object")
    sign = members.get("sign", ("", ""))[1]
    if not isinstance(sign, str):
        raise QrFormatError("Alipay response sign is not a string")
    return raw, value, sign


def _top_level_members(text: str) -> dict[str, tuple[str, Any]]:
    """Each top-level member of a JSON object with the exact text of its value."""
    decoder = json.JSONDecoder()
    ws = " \t\n\r"
    i = len(text) - len(text.lstrip(ws))
    if not text.startswith("{", i):
        raise ValueError("does not start with '{'")
    i += 1
    members: dict[str, tuple[str, Any]] = {}
    while True:
        while i < len(text) and text[i] in ws:
            i += 1
        if text.startswith("}", i) and not members:
            i += 1
            break
        name, i = decoder.raw_decode(text, i)
        if not isinstance(name, str):
            raise ValueError("member name is not a string")
        while i < len(text) and text[i] in ws:
            i += 1
        if not text.startswith(":", i):
            raise ValueError("':' expected")
        i += 1
        while i < len(text) and text[i] in ws:
            i += 1
        start = i
        value, i = decoder.raw_decode(text, i)
        members[name] = (text[start:i], value)
        while i < len(text) and text[i] in ws:
            i += 1
        if text.startswith(",", i):
            i += 1
            continue
        if text.startswith("}", i):
            i += 1
            break
        raise ValueError("',' or '}' expected")
    if text[i:].strip(ws):
        raise ValueError("text after the object")
    return members
