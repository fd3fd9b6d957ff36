"""A small HTTP POST over urllib (standard library): the providers' APIs are one
form or XML POST per call, so a client library would add nothing but a dependency.

Never follows an environment proxy: payment traffic goes where the config says.
Errors never quote the request body (it holds the payment code).
"""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from kiosk.payment.qr.errors import QrConfigError, QrTransportError
from kiosk.payment.qr.signing import MAX_MESSAGE_BYTES


def tls_context(cert_file: Path | None = None, key_file: Path | None = None) -> ssl.SSLContext:
    """A verifying TLS context, with a client certificate when the API wants one
    (WeChat Pay's reverse and refund need the merchant's apiclient_cert.pem)."""
    context = ssl.create_default_context()
    if cert_file is not None:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise QrConfigError(f"client certificate {cert_file}: cannot load it: {exc}") from None
    return context


def post(
    url: str,
    body: bytes,
    content_type: str,
    timeout_s: float,
    context: ssl.SSLContext | None = None,
) -> bytes:
    """POST `body` and return the response body of a 200 answer."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with opener.open(request, timeout=timeout_s) as response:
            data: bytes = response.read(MAX_MESSAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise QrTransportError(f"POST {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise QrTransportError(f"POST {url}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise QrTransportError(f"POST {url}: {type(exc).__name__}: {exc}") from None
    return data
