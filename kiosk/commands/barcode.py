"""`kiosk barcode parse DATA [--json] [--config FILE]`: what the parser makes of one scan.

SPEC section 10: with --json, one JSON object on stdout and exit 0, or
`{"error": "...reason..."}` and exit 1 for an invalid scan. DATA may spell GS (FNC1)
as the four characters `\\x1d` and may start with a symbology identifier (`]E0`, `]C1` …).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.domain.barcodes import BarcodeConfig, InvalidBarcode, parse_scan
from kiosk.errors import ConfigError

_GS_ESCAPE = "\\x1d"  # the four characters a shell user can type for GS (0x1D)


def register(subparsers: Any) -> None:
    """Add `kiosk barcode parse`."""
    barcode = subparsers.add_parser("barcode", help="barcode tools")
    commands = barcode.add_subparsers(dest="barcode_command", metavar="ACTION", required=True)
    parse = commands.add_parser(
        "parse",
        help="show what the parser makes of one scan",
        description="Parse one scan as the kiosk would. Write GS (FNC1) as \\x1d.",
    )
    parse.add_argument("data", metavar="DATA", help="the scanned text, e.g. ']E06901234567892'")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="kiosk config (TOML) whose [barcodes] table sets layouts and patterns",
    )
    parse.set_defaults(func=run_parse)


def load_barcode_config(path: Path | None) -> BarcodeConfig:
    """The `[barcodes]` table of a TOML file (defaults without a file or a table)."""
    if path is None:
        return BarcodeConfig()
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return BarcodeConfig.from_mapping(document.get("barcodes", {}), str(path))


def run_parse(args: argparse.Namespace) -> int:
    config = load_barcode_config(args.config)
    data = args.data.replace(_GS_ESCAPE, "\x1d")
    try:
        # The shell may read the clock: it sets the century of two-digit GS1 years.
        result = parse_scan(data, config, today=date.today())
    except InvalidBarcode as exc:
        if args.json:
            print(json.dumps({"error": exc.reason}, ensure_ascii=False))
        else:
            print(f"kiosk barcode parse: {exc}", file=sys.stderr)
        return 1
    document = result.to_json()
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
        return 0
    for key, value in document.items():
        if value is None or value == {}:
            continue
        shown = str(value)
        if isinstance(value, dict):  # ai: shown in the HRI form printed under barcodes
            shown = "".join(f"({ai}){text}" for ai, text in value.items())
        print(f"{key:>16}: {shown.replace(chr(0x1D), '<GS>')}")
    return 0
