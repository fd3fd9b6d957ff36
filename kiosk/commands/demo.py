"""`kiosk demo`: a scripted shopper session end to end, no display needed.

Runs through the real config loader, catalogue, barcode parser, pricing engine, journal
and receipt renderers: packaged items, a multi-buy, a deli scale label, a member code,
split payment (part by card through the in-repo ZVT terminal simulator, the rest by a
WeChat Pay payment code through the provider simulator), then prints the receipt as
text and writes its ESC/POS bytes to a file.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from kiosk.app import open_checkout, seed_demo_store
from kiosk.checkout import Checkout
from kiosk.config import KioskConfig
from kiosk.domain.barcodes import variable_measure_label
from kiosk.domain.money import Money
from kiosk.domain.receipt import Paper, render_text
from kiosk.domain.transaction import Cancelled, SessionClosed, Status
from kiosk.errors import KioskError
from kiosk.payment.kiosk_payments import KioskPayments
from kiosk.receipts.escpos import render_escpos
from kiosk.receipts.from_sale import receipt_for_sale

# The shopper's script, by demo catalogue item id; quantities are separate scans.
PACKAGED = (
    ("D-MILK-250", 3),  # multi-buy: 3 for 2 in the demo promotions
    ("S-CHIPS-70", 1),
    ("B-TOAST-400", 1),
    ("H-TISSUE-10", 1),
)
DELI_ITEM = "DL-ROAST-PORK"  # sold by weight, labelled at the deli counter's scale
DELI_WEIGHT_G = 386
MEMBER_CODE = "M8800123456"
# A WeChat Pay payment code (18 digits from 10-15); the provider simulator approves codes
# ending in 91. It is never stored: only the provider order number is journalled.
DEMO_WECHAT_CODE = "134567890123456791"


class DemoError(KioskError):
    """The demo script met something it cannot go on from."""


def _say(text: str) -> None:
    print(text, flush=True)


def _scan(checkout: Checkout, code: str, locale: str) -> None:
    outcome = checkout.scan(code)
    if outcome.status not in ("added", "member"):
        raise DemoError(f"demo scan {code!r} refused: {outcome.message}")
    total = Money(checkout.priced().total_minor, checkout.config.store.currency)
    _say(f"  scan {code!r:<24} -> {outcome.message:<28} total {total.format(locale)}")


def _gtin(checkout: Checkout, item_id: str) -> str:
    item = checkout.catalogue.get(item_id)
    if item is None or not item.gtins:
        raise DemoError(f"demo item {item_id} is not in the catalogue {checkout.catalogue}")
    return item.gtins[0][1:] if item.gtins[0].startswith("0") else item.gtins[0]


def _deli_label(checkout: Checkout) -> str:
    item = checkout.catalogue.get(DELI_ITEM)
    if item is None or item.plu is None:
        raise DemoError(f"demo deli item {DELI_ITEM} with a PLU is not in the catalogue")
    price = (DELI_WEIGHT_G * item.price_minor + 500) // 1000  # the scale rounds half up
    return variable_measure_label(item.plu, weight_g=DELI_WEIGHT_G, price_minor=price)


def run_demo(config: KioskConfig, locale: str, escpos_out: Path, paper: Paper) -> int:
    checkout = open_checkout(config)
    # The demo store's [payment] runs the ZVT terminal and QR provider simulators here.
    payments = KioskPayments.open(
        config.payment, data_dir=config.paths.data_dir, currency=config.store.currency
    )
    try:
        state = checkout.state
        if state.status not in (Status.IDLE,):
            _say(f"an earlier session was left {state.status.value}; closing it first")
            if state.status in (Status.SHOPPING, Status.ATTENDANT_REQUIRED, Status.SUSPENDED):
                checkout.dispatch(Cancelled(checkout.now(), "demo restart"))
                checkout.dispatch(SessionClosed(checkout.now()))
            else:
                raise DemoError(f"demo data dir has a transaction in {state.status.value}")
        _say(f"{config.store.names.get(locale, config.store.store_id)} — kiosk {config.kiosk_id}")
        for item_id, count in PACKAGED:
            for _ in range(count):
                _scan(checkout, _gtin(checkout, item_id), locale)
        _scan(checkout, _deli_label(checkout), locale)
        _scan(checkout, MEMBER_CODE, locale)
        priced = checkout.start_checkout()
        amount = Money(priced.total_minor, priced.currency).format(locale)
        card_part = priced.total_minor // 2
        card_amount = Money(card_part, priced.currency).format(locale)
        _say(f"  pay {amount}: {card_amount} by card on the simulated ZVT terminal ...")
        card = payments.provider("card", None, lambda key: _say(f"    terminal: {key}"))
        outcome = checkout.pay(card, card_part)
        if outcome.status != "approved":
            raise DemoError(f"card payment not approved: {outcome.status} {outcome.reason}")
        _say("  ... and the rest with a WeChat Pay payment code on the simulated provider")
        code_scan = checkout.scan(DEMO_WECHAT_CODE)
        if code_scan.status != "payment_code" or code_scan.scan is None:
            raise DemoError(f"demo payment code not recognised: {code_scan.message}")
        outcome = checkout.pay(payments.provider("wechat", code_scan.scan.payment_code, _say))
        if outcome.status != "approved":
            raise DemoError(f"WeChat Pay not approved: {outcome.status} {outcome.reason}")
        tx_id = checkout.state.tx_id
        assert tx_id is not None
        sale = checkout.journal.sale(tx_id)
        if sale is None:
            raise DemoError(f"sale {tx_id} was not recorded")
        receipt = receipt_for_sale(sale, config, locale)
        escpos_out.parent.mkdir(parents=True, exist_ok=True)
        escpos_out.write_bytes(render_escpos(receipt, paper, codec=config.printer_codec))
        checkout.finish(printed=True)
        _say("")
        _say(render_text(receipt, paper.columns))
        _say(f"ESC/POS bytes ({escpos_out.stat().st_size}) written to {escpos_out}")
    finally:
        payments.close()
        checkout.close()
    return 0


def _paper(mm: int) -> Paper:
    return Paper.MM58 if mm == 58 else Paper.MM80


def run(args: argparse.Namespace) -> int:
    if args.screenshots:
        from kiosk.commands.run import write_screenshots  # noqa: PLC0415 - Kivy only here

        shots = write_screenshots(Path(args.screenshots))
        _say(f"{len(shots)} screenshots written to {args.screenshots}")
    if args.data_dir:
        data_dir = Path(args.data_dir)
        config = seed_demo_store(data_dir)
        paper = _paper(args.paper or config.paper_mm)
        return run_demo(
            config, args.locale, Path(args.escpos_out or data_dir / "receipt.escpos"), paper
        )
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
        config = seed_demo_store(Path(tmp))
        paper = _paper(args.paper or config.paper_mm)
        out = Path(args.escpos_out) if args.escpos_out else Path(tmp) / "receipt.escpos"
        return run_demo(config, args.locale, out, paper)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a scripted shopper session and print the receipt"
    )
    parser.add_argument(
        "--data-dir", help="demo store directory (seeded if new; default: a temp dir)"
    )
    parser.add_argument("--escpos-out", help="where to write the receipt's ESC/POS bytes")
    parser.add_argument("--locale", choices=("zh_CN", "en"), default="zh_CN")
    parser.add_argument(
        "--paper", type=int, choices=(58, 80), help="paper width (default: the printer's)"
    )
    parser.add_argument(
        "--screenshots", metavar="DIR", help="also write a PNG of every UI screen in both languages"
    )
    parser.set_defaults(func=run)
