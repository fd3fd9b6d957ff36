"""The one config loader: a TOML file parsed once, at start-up, into typed, bounded values.

Like Klipper's config sections: every key is known, typed and range-checked; an unknown
key or a bad value stops start-up with a message naming the file, section and key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from kiosk.config_table import REQUIRED, Table
from kiosk.device_config import DevicesConfig
from kiosk.domain.barcodes import BarcodeConfig
from kiosk.domain.money import CURRENCIES, Rounding
from kiosk.errors import ConfigError
from kiosk.payment.config import PaymentConfig

T = TypeVar("T")

LOCALES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class StoreConfig:
    store_id: str
    names: dict[str, str]
    address: str
    tax_id: str
    currency: str
    locale: str
    rounding: Rounding
    tax_inclusive: bool
    tax_rates: dict[str, Fraction]


@dataclass(frozen=True, slots=True)
class ReceiptConfig:
    """What the receipt says. How it is printed (paper width, GBK/GB18030) belongs to the
    printer: `[devices.receipt_printer]`, see `KioskConfig.paper_mm` / `printer_codec`."""

    footer: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PathsConfig:
    data_dir: Path
    catalogue: Path
    journal: Path
    promotions: Path | None


@dataclass(frozen=True, slots=True)
class KioskConfig:
    source: str
    kiosk_id: str
    store: StoreConfig
    barcodes: BarcodeConfig
    receipt: ReceiptConfig
    paths: PathsConfig
    devices: DevicesConfig = field(default_factory=DevicesConfig)
    payment: PaymentConfig = field(default_factory=PaymentConfig)

    @property
    def paper_mm(self) -> int:
        """Receipt paper width: the configured printer's, else 80 mm."""
        printer = self.devices.receipt_printer
        return printer.paper_mm if printer else 80

    @property
    def printer_codec(self) -> str:
        """GBK or GB18030, as the configured printer's firmware takes it (default GB18030)."""
        printer = self.devices.receipt_printer
        return printer.codec if printer else "gb18030"


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _percent(where: str, value: object) -> Fraction:
    # Written as strings ("13", "6.5") so no float ever enters a tax computation.
    if not isinstance(value, str):
        raise ConfigError(f'{where}: write the rate as a string of percent, e.g. "13"')
    try:
        rate = Fraction(value) / 100
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not 0 <= rate < 1:
        raise ConfigError(f"{where}: {value}% out of range 0..100")
    return rate


_SECTIONS = ("kiosk", "store", "tax", "barcodes", "receipt", "paths", "devices", "payment")


def load_config(path: Path, *, data_dir: Path | None = None) -> KioskConfig:
    """Load and validate a kiosk config file. Relative paths are relative to the data dir."""
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_config(raw, source, data_dir=data_dir)


def parse_config(
    raw: Mapping[str, Any], source: str, *, data_dir: Path | None = None
) -> KioskConfig:
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"{source}: unknown section(s): {', '.join(unknown)}")

    kiosk = Table(source, "kiosk", raw.get("kiosk", {}))
    kiosk_id = kiosk.text("id", REQUIRED)
    kiosk.finish()

    store = Table(source, "store", raw.get("store", {}))
    currency = store.text("currency", REQUIRED, choices=tuple(sorted(CURRENCIES)))
    store_cfg = StoreConfig(
        store_id=store.text("id", REQUIRED),
        names=store.table_of("name", _text),
        address=store.text("address", ""),
        tax_id=store.text("tax_id", ""),
        currency=currency,
        locale=store.text("locale", "zh_CN", choices=LOCALES),
        rounding=Rounding(store.text("rounding", "half_up", choices=("half_up", "half_even"))),
        tax_inclusive=store.flag("tax_inclusive", default=True),
        tax_rates={},
    )
    store.finish()

    tax = Table(source, "tax", raw.get("tax", {}))
    rates = {k: _percent(tax.where(k), v) for k, v in tax.table.items()}
    tax.used.update(rates)
    if not rates:
        raise ConfigError(f'{source}: [tax] needs at least one rate, e.g. standard = "13"')
    store_cfg = replace(store_cfg, tax_rates=rates)

    barcodes = BarcodeConfig.from_mapping(raw.get("barcodes", {}), f"{source}: [barcodes]")

    receipt = Table(source, "receipt", raw.get("receipt", {}))
    receipt_cfg = ReceiptConfig(footer=receipt.table_of("footer", _text))
    receipt.finish()

    paths = Table(source, "paths", raw.get("paths", {}))
    configured = Path(paths.text("data_dir", "/var/lib/kiosk"))
    base = data_dir or configured
    promotions = paths.text("promotions", None)
    paths_cfg = PathsConfig(
        data_dir=base,
        catalogue=base / paths.text("catalogue", "catalogue.db"),
        journal=base / paths.text("journal", "journal.db"),
        promotions=None if promotions is None else base / promotions,
    )
    paths.finish()

    devices = DevicesConfig.from_mapping(raw.get("devices", {}), f"{source}: [devices]")
    # No [payment]: nothing is offered until one is written (KioskPayments.open says so).
    payment = (
        PaymentConfig.from_mapping(raw["payment"], source, base=base)
        if "payment" in raw
        else PaymentConfig()
    )
    return KioskConfig(
        source, kiosk_id, store_cfg, barcodes, receipt_cfg, paths_cfg, devices, payment
    )


def demo_config_path() -> Path:
    """The shipped demo store's config (a small Chinese supermarket)."""
    return Path(str(resources.files("kiosk") / "data" / "demo_config.toml"))
