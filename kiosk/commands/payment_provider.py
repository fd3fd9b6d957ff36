"""`kiosk sim payment-provider`: the WeChat Pay / Alipay simulator on loopback.

Prints the base URL (http://127.0.0.1:PORT) on stdout; WeChat Pay clients use it as
`base_url`, Alipay clients use URL + /gateway.do. The credentials both sides need are
in the `--credentials` JSON file (made on first use, mode 0600).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands.sim_support import until_signalled
from kiosk.payment.qr.sim import SUFFIXES, PaymentProviderSimulator, Scenario, SimCredentials


def register_sim(sim_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `payment-provider` to `kiosk sim` (called from kiosk.commands.devices)."""
    parser = sim_subparsers.add_parser(
        "payment-provider", help="WeChat Pay / Alipay micropay simulator (HTTP on loopback)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--provider", choices=["wechat", "alipay", "both"], default="both")
    parser.add_argument(
        "--scenario",
        choices=[s.value for s in Scenario],
        default=Scenario.SUCCESS.value,
        help="for codes without a scenario suffix (..91-..97 choose one per payment)",
    )
    parser.add_argument(
        "--ledger", type=Path, default=Path("qr-sim-ledger.sqlite"), help="SQLite ledger file"
    )
    parser.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="JSON credentials (default: LEDGER.keys.json)",
    )
    parser.add_argument(
        "--confirm-after", type=int, default=2, help="user-paying-success: paid at this query"
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    parser.set_defaults(func=run_sim)


def run_sim(args: argparse.Namespace) -> int:
    ledger: Path = args.ledger
    keys_path: Path = args.credentials or ledger.with_name(ledger.name + ".keys.json")
    credentials = SimCredentials.load_or_create(keys_path)
    simulator = PaymentProviderSimulator(
        ledger,
        credentials,
        providers=args.provider,
        scenario=Scenario(args.scenario),
        confirm_after_queries=args.confirm_after,
        host=args.host,
        port=args.port,
    )
    with until_signalled() as done, simulator:
        print(simulator.url, flush=True)
        table = ", ".join(f"..{k} {v.value}" for k, v in SUFFIXES.items())
        print(
            f"ledger {ledger}; credentials {keys_path}; Alipay gateway "
            f"{simulator.alipay_gateway}; code suffixes: {table}",
            file=sys.stderr,
            flush=True,
        )
        done.wait(args.duration)
    return 0
