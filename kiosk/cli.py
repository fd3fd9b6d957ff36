"""The `kiosk` command line (SPEC section 10): one entry point, many sub-commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import cast

from kiosk import __version__
from kiosk.errors import KioskError
from kiosk.logging_setup import configure_logging

# Sub-command modules, each with `register(subparsers)`. Imported lazily in `build_parser`
# so that `kiosk barcode parse` does not pay for Kivy or OpenCV imports.
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.commands.barcode",
    "kiosk.commands.demo",
    "kiosk.commands.catalogue",
    "kiosk.commands.drill",
    "kiosk.commands.report",
    "kiosk.commands.printer",
    "kiosk.commands.devices",
    "kiosk.commands.hardware",
    "kiosk.commands.run",
    "kiosk.commands.pinpad",
    "kiosk.commands.refund",
)

log = logging.getLogger("kiosk.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-checkout kiosk stack")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # command group not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    func = cast("Callable[[argparse.Namespace], int] | None", getattr(args, "func", None))
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except KioskError as exc:
        log.error("command failed", extra={"command": args.command, "error": str(exc)})
        print(f"kiosk {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
