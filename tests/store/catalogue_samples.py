"""Small catalogue exports for the catalogue tests: rows, GTINs with valid check digits."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from biip.checksums import gs1_standard_check_digit

from kiosk.store.catalogue_rows import CSV_COLUMNS


def gtin(body: str) -> str:
    """`body` with its GS1 check digit appended (body of 7, 11, 12 or 13 digits)."""
    return body + str(gs1_standard_check_digit(body))


def bad_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


MILK = gtin("690123400001")  # EAN-13
MILK_PROMO = gtin("690123400002")  # a second EAN-13 on the same item
MILK_SHORT = gtin("6901235")  # EAN-8
MILK_UPC = gtin("01234500001")  # UPC-A (GTIN-12)
BEER = gtin("690123400010")
OLD_COLA = gtin("690123400020")


def row(**fields: object) -> dict[str, str]:
    """A valid CSV row (an each-item with one GTIN); `fields` override columns."""
    base: dict[str, object] = {
        "item_id": "ITEM-1",
        "gtins": gtin("690999900001"),
        "plu": "",
        "name_zh_CN": "测试商品",
        "name_en": "Test item",
        "price_minor": 990,
        "currency": "CNY",
        "tax_class": "standard",
        "unit": "each",
        "department": "grocery",
        "age_limit": 0,
        "expected_weight_g": 250,
        "weight_tolerance_g": 10,
        "member_price_minor": "",
        "image": "",
        "active": 1,
        "tags": "",
    }
    base.update(fields)
    return {key: str(value) for key, value in base.items()}


def sample_rows() -> list[dict[str, str]]:
    """A tiny shop: a multi-GTIN item, a deli item by PLU, beer (18+), an inactive item."""
    return [
        row(
            item_id="D-MILK-250",
            gtins=f"{MILK}|{MILK_PROMO}|{MILK_SHORT}|{MILK_UPC}",
            name_zh_CN="纯牛奶 250ml",
            name_en="Whole milk 250 ml",
            price_minor=350,
            tax_class="reduced",
            department="dairy",
            expected_weight_g=262,
            weight_tolerance_g=10,
            member_price_minor=320,
            tags="dairy|multi-buy",
        ),
        row(
            item_id="DL-ROAST-PORK",
            gtins="",
            plu="10005",
            name_zh_CN="脆皮烧肉",
            name_en="Crispy roast pork belly",
            price_minor=7800,
            unit="kg",
            department="deli",
            expected_weight_g="",
            weight_tolerance_g="",
        ),
        row(
            item_id="DR-BEER-330",
            gtins=BEER,
            name_zh_CN="啤酒 330ml",
            name_en="Lager 330 ml",
            price_minor=450,
            department="drinks",
            age_limit=18,
            expected_weight_g=355,
            weight_tolerance_g=14,
            tags="alcohol|beer",
        ),
        row(
            item_id="DR-COLA-355-OLD",
            gtins=OLD_COLA,
            plu="20001",
            name_zh_CN="可乐 355ml",
            name_en="Cola 355 ml",
            price_minor=300,
            department="drinks",
            active=0,
        ),
        row(
            item_id="P-APPLE-FUJI",
            gtins="",
            plu="20002",
            name_zh_CN="红富士苹果",
            name_en="Fuji apples",
            price_minor=1298,
            tax_class="reduced",
            unit="kg",
            department="produce",
            expected_weight_g="",
            weight_tolerance_g="",
        ),
    ]


def write_csv(
    path: Path, rows: Iterable[Mapping[str, str]], columns: Iterable[str] = CSV_COLUMNS
) -> Path:
    columns = list(columns)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def json_item(csv_row: Mapping[str, str]) -> dict[str, object]:
    """The JSON export form of a CSV row."""

    def number(key: str) -> int | None:
        return int(csv_row[key]) if csv_row.get(key) else None

    return {
        "item_id": csv_row["item_id"],
        "gtins": [g for g in csv_row["gtins"].split("|") if g],
        "plu": csv_row["plu"] or None,
        "names": {"zh_CN": csv_row["name_zh_CN"], "en": csv_row["name_en"]},
        "price_minor": number("price_minor"),
        "currency": csv_row["currency"],
        "tax_class": csv_row["tax_class"],
        "unit": csv_row["unit"],
        "department": csv_row["department"],
        "age_limit": number("age_limit"),
        "expected_weight_g": number("expected_weight_g"),
        "weight_tolerance_g": number("weight_tolerance_g"),
        "member_price_minor": number("member_price_minor"),
        "image": csv_row["image"] or None,
        "active": csv_row["active"] == "1",
        "tags": [t for t in csv_row["tags"].split("|") if t],
    }


def write_json(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    document = {
        "format": "kiosk-catalogue",
        "version": 1,
        "items": [json_item(r) for r in rows],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_json_lines(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    lines = [json.dumps(json_item(r), ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
