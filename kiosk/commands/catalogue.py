"""`kiosk catalogue …`: import a head-office export, look items up, seed the demo store.

- `kiosk catalogue import FILE --db PATH [--currency CODE] [--json]`: validate FILE
  (CSV, JSON or JSON Lines, docs/catalogue-format.md) and make it the live catalogue,
  atomically; on any problem print every `file:line: field: reason`, exit 1 and leave
  the live catalogue as it was.
- `kiosk catalogue lookup CODE --db PATH [--json]`: the active item with this GTIN,
  PLU / scale item code or item id; exit 1 (`{"error": ...}` with --json) if none.
- `kiosk catalogue search TEXT --db PATH [--locale L] [--limit N] [--json]`: by name
  or pinyin initials.
- `kiosk catalogue seed-demo --db PATH [--json]`: import the shipped demo catalogue.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.domain.catalogue import LOCALES, Item, Unit
from kiosk.domain.money import Money
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import ImportReport, import_catalogue
from kiosk.store.catalogue_rows import item_to_json

DEMO_CATALOGUE = "demo_catalogue.csv"


def register(subparsers: Any) -> None:
    """Add `kiosk catalogue import|lookup|search|seed-demo`."""
    catalogue = subparsers.add_parser("catalogue", help="import and inspect the item catalogue")
    actions = catalogue.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)

    def db_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--db", type=Path, required=True, metavar="PATH", help="the catalogue SQLite file"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    imp = actions.add_parser(
        "import",
        help="validate an export and make it the live catalogue",
        description="Validate FILE (.csv, .json, .jsonl) and replace the catalogue atomically;"
        " a bad file changes nothing.",
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the head-office export")
    imp.add_argument("--currency", metavar="CODE", help="the store currency every item must use")
    db_option(imp)
    imp.set_defaults(func=run_import)

    lookup = actions.add_parser(
        "lookup", help="show the item with a GTIN, PLU or item id", description=_lookup_doc()
    )
    lookup.add_argument("code", metavar="CODE", help="GTIN-8/12/13/14, PLU or item id")
    lookup.add_argument("--locale", choices=LOCALES, default="zh_CN")
    db_option(lookup)
    lookup.set_defaults(func=run_lookup)

    search = actions.add_parser("search", help="find items by name or pinyin initials")
    search.add_argument("text", metavar="TEXT", help='part of a name, or pinyin initials ("pg")')
    search.add_argument("--locale", choices=LOCALES, default="zh_CN")
    search.add_argument("--limit", type=int, default=20)
    db_option(search)
    search.set_defaults(func=run_search)

    seed = actions.add_parser("seed-demo", help="import the shipped demo catalogue")
    db_option(seed)
    seed.set_defaults(func=run_seed_demo)


def _lookup_doc() -> str:
    return (
        "Find the active item for CODE: 8, 12, 13 or 14 digits are tried as a GTIN,"
        " up to 6 digits as a PLU (scale item code), anything else and misses as an item id."
    )


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(
            f"imported {report.items} items ({report.active_items} active, {report.gtins} GTINs,"
            f" {report.plus} PLUs, {report.currency}) from {report.source} into {report.db_path}"
        )


def run_import(args: argparse.Namespace) -> int:
    report = import_catalogue(args.file, args.db, currency=args.currency)
    _print_report(report, args.json)
    return 0


def run_seed_demo(args: argparse.Namespace) -> int:
    with resources.as_file(resources.files("kiosk") / "data" / DEMO_CATALOGUE) as demo:
        report = import_catalogue(demo, args.db)
    _print_report(report, args.json)
    return 0


def find(store: CatalogueStore, code: str) -> tuple[str, Item] | None:
    """(how it matched, item) for a GTIN, PLU or item id typed by a technician."""
    code = code.strip()
    if code.isascii() and code.isdigit():
        if len(code) in (8, 12, 13, 14):
            item = store.lookup_gtin(code)
            if item is not None:
                return "gtin", item
        elif len(code) <= 6:
            item = store.lookup_plu(code)
            if item is not None:
                return "plu", item
    item = store.get(code)
    return None if item is None else ("item_id", item)


def run_lookup(args: argparse.Namespace) -> int:
    with CatalogueStore.open(args.db) as store:
        found = find(store, args.code)
    if found is None:
        message = f"no active catalogue item for code {args.code!r} in {args.db}"
        if args.json:
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"kiosk catalogue lookup: {message}", file=sys.stderr)
        return 1
    matched_by, item = found
    if args.json:
        print(
            json.dumps({"matched_by": matched_by, "item": item_to_json(item)}, ensure_ascii=False)
        )
    else:
        print(describe(item, args.locale))
    return 0


def run_search(args: argparse.Namespace) -> int:
    with CatalogueStore.open(args.db) as store:
        items = store.search(args.text, args.locale, args.limit)
    if args.json:
        print(json.dumps({"items": [item_to_json(item) for item in items]}, ensure_ascii=False))
    else:
        for item in items:
            print(f"{item.item_id:<24} {_price(item, args.locale):>12}  {item.name(args.locale)}")
    return 0


def _price(item: Item, locale: str) -> str:
    text = Money(item.price_minor, item.currency).format(locale)
    return f"{text}/kg" if item.unit is Unit.KG else text


def describe(item: Item, locale: str) -> str:
    """A technician's view of one item, one field per line."""
    weigh = (
        f"{item.expected_weight_g} g ± {item.weight_tolerance_g} g"
        if item.expected_weight_g is not None
        else "no weigh"
    )
    member = (
        Money(item.member_price_minor, item.currency).format(locale)
        if item.member_price_minor is not None
        else None
    )
    fields: list[tuple[str, object]] = [
        ("item", item.item_id),
        *((f"name {loc}", name) for loc, name in item.names.items()),
        ("price", _price(item, locale)),
        ("member price", member),
        ("tax class", item.tax_class),
        ("department", item.department),
        ("gtins", ", ".join(g.removeprefix("0") for g in item.gtins) or None),
        ("plu", item.plu),
        ("age limit", int(item.age_limit) or None),
        ("bagging", weigh if item.unit is Unit.EACH else "weighed at the scale"),
        ("tags", ", ".join(item.tags) or None),
    ]
    return "\n".join(f"{label:>12}: {value}" for label, value in fields if value is not None)
