"""Payment provider simulator (`kiosk sim payment-provider`): WeChat Pay v2 and Alipay
on one loopback HTTP server, checking request signatures, signing its answers, with a
SQLite ledger of what it charged and per-payment scenarios (see `sim_scenario`).

    with PaymentProviderSimulator(ledger_path, credentials) as sim:
        provider = WeChatPayMicropay(credentials.wechat_config(sim.url))

Nothing starts at import or construction: `start()` (or `with`) binds and serves,
`close()` stops the server thread and closes the ledger.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

from kiosk.payment.qr.errors import QrConfigError
from kiosk.payment.qr.signing import MAX_MESSAGE_BYTES
from kiosk.payment.qr.sim_alipay import PATH as ALIPAY_PATH
from kiosk.payment.qr.sim_alipay import AlipaySim
from kiosk.payment.qr.sim_keys import SimCredentials
from kiosk.payment.qr.sim_ledger import LedgerOrder, SimLedger
from kiosk.payment.qr.sim_scenario import SUFFIXES, Reply, Scenario, SimSettings
from kiosk.payment.qr.sim_wechat import PATHS as WECHAT_PATHS
from kiosk.payment.qr.sim_wechat import WeChatPaySim

log = logging.getLogger(__name__)

Providers = Literal["wechat", "alipay", "both"]

__all__ = [
    "SUFFIXES",
    "LedgerOrder",
    "PaymentProviderSimulator",
    "Scenario",
    "SimCredentials",
    "SimLedger",
]


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads: none outlives close()
    simulator: PaymentProviderSimulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10.0  # a client that stops sending does not hold a thread for ever
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_MESSAGE_BYTES:
            self._send(400, Reply(b"bad Content-Length", "text/plain"))
            return
        body = self.rfile.read(length)
        reply = self.server.simulator.handle(self.path, body)
        if reply is None:
            self._send(404, Reply(b"no such API here", "text/plain"))
        elif reply.body is None:
            # network-drop: the order is recorded, the answer never leaves.
            self.close_connection = True
        else:
            self._send(200, reply)

    def _send(self, status: int, reply: Reply) -> None:
        body = reply.body or b""
        self.send_response(status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("qr-sim %s", format % args)  # the request line only, never a body


class PaymentProviderSimulator:
    """WeChat Pay (`url` + /pay/..., /secapi/pay/...) and Alipay (`alipay_gateway`)."""

    def __init__(
        self,
        ledger_path: Path,
        credentials: SimCredentials,
        *,
        providers: Providers = "both",
        scenario: Scenario = Scenario.SUCCESS,
        confirm_after_queries: int = 2,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if confirm_after_queries < 1:
            raise QrConfigError(f"confirm_after_queries {confirm_after_queries}: use 1 or more")
        self.credentials = credentials
        self.providers = providers
        self.settings = SimSettings(scenario, confirm_after_queries)
        self._ledger_path = ledger_path
        self._address = (host, port)
        self._ledger: SimLedger | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._wechat: WeChatPaySim | None = None
        self._alipay: AlipaySim | None = None

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> PaymentProviderSimulator:
        if self._server is not None:
            return self
        ledger = SimLedger(self._ledger_path)
        try:
            server = _Server(self._address, _Handler)
        except OSError as exc:
            ledger.close()
            where = f"{self._address[0]}:{self._address[1]}"
            raise QrConfigError(f"payment simulator: cannot listen on {where}: {exc}") from None
        server.simulator = self
        self._ledger = ledger
        self._wechat = WeChatPaySim(ledger, self.credentials, self.settings)
        self._alipay = AlipaySim(ledger, self.credentials, self.settings)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="qr-provider-sim"
        )
        self._thread.start()
        return self

    def close(self) -> None:
        server, thread, ledger = self._server, self._thread, self._ledger
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()
        if ledger is not None:
            ledger.close()

    def __enter__(self) -> PaymentProviderSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- where and what ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT — WeChat Pay's base URL; Alipay's gateway is below it."""
        if self._server is None:
            raise QrConfigError("payment simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def alipay_gateway(self) -> str:
        return self.url + ALIPAY_PATH

    @property
    def ledger(self) -> SimLedger:
        if self._ledger is None:
            raise QrConfigError("payment simulator is not started")
        return self._ledger

    def handle(self, target: str, body: bytes) -> Reply | None:
        """The reply to one POST (None: no such endpoint)."""
        parts = urlsplit(target)
        if parts.path in WECHAT_PATHS and self._wechat and self.providers != "alipay":
            return self._wechat.handle(parts.path, body)
        if parts.path == ALIPAY_PATH and self._alipay and self.providers != "wechat":
            return self._alipay.handle(parts.query, body)
        return None
