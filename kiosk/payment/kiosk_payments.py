"""One kiosk's payment methods, built once from `[payment]`: the only provider factory.

`KioskPayments.open(config, ...)` connects the ZVT card terminal and the WeChat Pay /
Alipay micropay clients named in the config, or, when simulating, starts the in-repo
terminal and provider simulators in this process and points the same real clients at
them (so a simulated kiosk runs every byte of the real protocols). The lane, the demo,
the crash drill and the refund command all get their providers here:

- `provider(method, code, prompt)`: a `PaymentProvider` for one attempt (`code`: the
  shopper's payment code for QR methods, None to query after a restart; `prompt`
  receives the card terminal's prompt keys, kiosk.payment.prompts);
- `refund_provider(method)`: the `RefundProvider` for an attendant's refund.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.pinpad.zvt.terminal import ZvtTerminal
from kiosk.domain.money import currency as currency_info
from kiosk.payment.config import CARD, PaymentConfig, PaymentConfigError
from kiosk.payment.credentials import ProviderCredentials
from kiosk.payment.methods import CardProvider, QrProvider
from kiosk.payment.provider import PaymentProvider, RefundProvider
from kiosk.payment.qr import AlipayMicropay, PollPolicy, QrMicropayProvider, WeChatPayMicropay

if TYPE_CHECKING:
    from drivers.pinpad.zvt.sim import ZvtSimulator
    from kiosk.payment.qr.sim import PaymentProviderSimulator
    from kiosk.payment.qr.sim_keys import SimCredentials

log = logging.getLogger(__name__)

Prompt = Callable[[str], None]

#: Poll timing against the in-process simulator: the protocol's flow, quicker.
SIMULATOR_POLL = PollPolicy(interval_s=0.2, bound_s=10, unknown_wait_s=0.2, retry_wait_s=0.2)


class PaymentSimulators:
    """The ZVT terminal and the WeChat Pay / Alipay provider simulators, in this process.

    Their ledgers (what they "charged") live in `data_dir`, so a restarted kiosk finds
    the charges of its previous run, as it would at a real terminal or provider.
    """

    def __init__(self, data_dir: Path, *, step_s: float = 0.05) -> None:
        # Imported here: a kiosk paying at a real terminal and provider never loads the
        # simulators (~20 MB of RSS with their HTTP server and key handling).
        from drivers.pinpad.zvt.sim import ZvtSimulator  # noqa: PLC0415
        from drivers.simlink import TcpLink  # noqa: PLC0415
        from kiosk.payment.qr.sim import PaymentProviderSimulator  # noqa: PLC0415
        from kiosk.payment.qr.sim_keys import SimCredentials  # noqa: PLC0415

        data_dir.mkdir(parents=True, exist_ok=True)
        self.zvt: ZvtSimulator = ZvtSimulator(
            TcpLink(), ledger=data_dir / "zvt-sim.db", step_s=step_s
        )
        self.zvt.start()
        try:
            self.credentials: SimCredentials = SimCredentials.load_or_create(
                data_dir / "qr-sim.keys.json"
            )
            self.qr: PaymentProviderSimulator = PaymentProviderSimulator(
                data_dir / "qr-sim.db", self.credentials
            ).start()
        except BaseException:
            self.zvt.stop()
            raise

    @property
    def pinpad_url(self) -> str:
        return self.zvt.url

    @property
    def provider_url(self) -> str:
        return self.qr.url

    def ledger(self) -> list[tuple[str, int, str]]:
        """Every payment the simulators saw, sorted: (method, amount, outcome)."""
        card = [
            ("card", e.amount_minor, str(e.status))
            for e in self.zvt.ledger.entries()
            if e.kind == "payment"
        ]
        qr = [
            (o.provider, o.amount_minor, "approved" if o.state == "SUCCESS" else o.state.lower())
            for o in self.qr.ledger.orders()
        ]
        return sorted(card + qr)

    def close(self) -> None:
        self.zvt.stop()
        self.qr.close()


class KioskPayments:
    """The methods a lane offers and a provider per attempt. Close once."""

    def __init__(
        self,
        methods: tuple[str, ...],
        *,
        terminal: ZvtTerminal | None = None,
        wallets: dict[str, QrMicropayProvider] | None = None,
        simulators: PaymentSimulators | None = None,
    ) -> None:
        self._methods = methods
        self._terminal = terminal
        self._wallets = dict(wallets or {})
        self.simulators = simulators
        for method in methods:
            if method == CARD and terminal is None:
                raise PaymentConfigError("payment method card offered without a card terminal")
            if method != CARD and method not in self._wallets:
                raise PaymentConfigError(f"payment method {method} offered without its client")

    @classmethod
    def open(
        cls,
        config: PaymentConfig,
        *,
        data_dir: Path,
        currency: str,
        simulate: bool = False,
        poll: PollPolicy | None = None,
    ) -> KioskPayments:
        """Connect what `config` names; with `simulate` (or config.simulate), simulators."""
        simulators = None
        if simulate or config.simulate:
            simulators = PaymentSimulators(data_dir / "payment-sim")
            pinpad_url: str | None = simulators.pinpad_url
            provider_url: tuple[str, str] | None = (simulators.provider_url,) * 2
            credentials: ProviderCredentials | None = simulators.credentials.kiosk_side()
            poll = poll or SIMULATOR_POLL
        else:
            config.check("[payment]")
            pinpad_url = config.card.url if config.card else None
            provider_url = (config.qr.wechat_url, config.qr.alipay_url) if config.qr else None
            credentials = ProviderCredentials.load(config.qr.credentials) if config.qr else None
        try:
            terminal = None
            if CARD in config.methods and pinpad_url is not None:
                password = config.card.password if config.card else "000000"
                terminal = ZvtTerminal(
                    pinpad_url, password=password, currency=currency_info(currency).numeric
                )
            wallets = _wallets(config.methods, credentials, provider_url, poll)
            payments = cls(
                config.methods, terminal=terminal, wallets=wallets, simulators=simulators
            )
        except BaseException:
            if simulators is not None:
                simulators.close()
            raise
        log.info(
            "payment methods ready",
            extra={"methods": ",".join(config.methods), "simulated": simulators is not None},
        )
        return payments

    @property
    def methods(self) -> tuple[str, ...]:
        return self._methods

    def provider(self, method: str, code: str | None, prompt: Prompt) -> PaymentProvider:
        return self._client(method, code, prompt)

    def refund_provider(self, method: str) -> RefundProvider:
        return self._client(method, None, None)

    def _client(
        self, method: str, code: str | None, prompt: Prompt | None
    ) -> CardProvider | QrProvider:
        if method == CARD and self._terminal is not None:
            return CardProvider(self._terminal, prompt)
        if method in self._wallets:
            return QrProvider(self._wallets[method], code)
        raise PaymentConfigError(f"payment method {method!r} is not offered; have {self._methods}")

    def close(self) -> None:
        if self._terminal is not None:
            self._terminal.close()
        if self.simulators is not None:
            self.simulators.close()


def _wallets(
    methods: tuple[str, ...],
    credentials: ProviderCredentials | None,
    urls: tuple[str, str] | None,
    poll: PollPolicy | None,
) -> dict[str, QrMicropayProvider]:
    if credentials is None or urls is None:
        return {}
    wechat_url, alipay_url = urls
    wallets: dict[str, QrMicropayProvider] = {}
    if "wechat" in methods:
        wallets["wechat"] = WeChatPayMicropay(credentials.wechat_config(wechat_url), poll)
    if "alipay" in methods:
        wallets["alipay"] = AlipayMicropay(credentials.alipay_config(alipay_url), poll)
    return wallets
