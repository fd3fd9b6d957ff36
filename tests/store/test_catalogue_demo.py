"""The shipped demo catalogue: imports cleanly and is a believable small Chinese supermarket."""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from biip.gtin import Gtin

from kiosk.domain.catalogue import AgeLimit, Item, Unit
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import ImportReport, import_catalogue

DEMO = Path(str(resources.files("kiosk") / "data" / "demo_catalogue.csv"))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, list[Item]]:
    db = tmp_path_factory.mktemp("demo") / "catalogue.db"
    report = import_catalogue(DEMO, db, currency="CNY")
    with CatalogueStore.open(db) as store:
        ids = [row[0] for row in _ids(db)]
        items = [store.get(item_id, include_inactive=True) for item_id in ids]
    return report, [item for item in items if item is not None]


def _ids(db: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT item_id FROM item ORDER BY key").fetchall()
    finally:
        conn.close()


def active(items: list[Item]) -> list[Item]:
    return [item for item in items if item.active]


def test_demo_catalogue_imports_cleanly(imported: tuple[ImportReport, list[Item]]) -> None:
    report, items = imported
    assert report.items == len(items)
    assert report.active_items >= 220
    assert report.currency == "CNY"
    assert len(items) - report.active_items >= 1  # a delisted item shows the active flag


def test_every_department_is_stocked(imported: tuple[ImportReport, list[Item]]) -> None:
    departments = Counter(item.department for item in active(imported[1]))
    for department, at_least in {
        "produce": 30,
        "deli": 10,
        "bakery": 10,
        "dairy": 10,
        "drinks": 25,
        "snacks": 15,
        "household": 10,
        "personal_care": 10,
        "frozen": 10,
    }.items():
        assert departments[department] >= at_least, department


def test_produce_is_sold_by_weight_with_plus(imported: tuple[ImportReport, list[Item]]) -> None:
    weighed = [i for i in active(imported[1]) if i.department == "produce" and i.unit is Unit.KG]
    assert len(weighed) >= 30
    assert all(i.plu is not None and not i.gtins for i in weighed)
    assert all(i.expected_weight_g is None for i in weighed)


def test_deli_items_carry_five_digit_scale_item_codes(
    imported: tuple[ImportReport, list[Item]],
) -> None:
    deli = [i for i in active(imported[1]) if i.department == "deli"]
    assert len(deli) >= 10
    for item in deli:
        assert item.unit is Unit.KG
        assert item.plu is not None
        assert len(item.plu) == 5
        assert item.plu.isdigit()


def test_alcohol_is_age_restricted(imported: tuple[ImportReport, list[Item]]) -> None:
    alcohol = [i for i in active(imported[1]) if "alcohol" in i.tags]
    kinds = {tag for item in alcohol for tag in item.tags}
    assert {"beer", "baijiu", "wine"} <= kinds
    assert len(alcohol) >= 10
    assert all(i.age_limit is AgeLimit.EIGHTEEN for i in alcohol)
    assert all("alcohol" in i.tags for i in active(imported[1]) if i.age_limit)


def test_some_items_have_several_gtins(imported: tuple[ImportReport, list[Item]]) -> None:
    items = active(imported[1])
    multi = [i for i in items if len(i.gtins) > 1]
    assert len(multi) >= 4
    lengths = {len(g.lstrip("0")) for i in items for g in i.gtins}
    assert {8, 11, 13} <= lengths  # EAN-8, a UPC-A (leading 0), EAN-13


def test_gtins_are_valid_and_chinese_ones_use_the_69_prefix(
    imported: tuple[ImportReport, list[Item]],
) -> None:
    for item in imported[1]:
        for code in item.gtins:
            parsed = Gtin.parse(code)
            if "imported" not in item.tags:
                assert parsed.value.lstrip("0").startswith("69"), item.item_id


def test_bagging_expectations(imported: tuple[ImportReport, list[Item]]) -> None:
    each = [i for i in active(imported[1]) if i.unit is Unit.EACH]
    weighed = [i for i in each if i.expected_weight_g is not None]
    no_weigh = [i for i in each if i.expected_weight_g is None]
    assert len(weighed) >= 100
    assert len(no_weigh) >= 5
    for item in weighed:
        assert item.expected_weight_g is not None
        assert item.weight_tolerance_g is not None
        assert 0 < item.weight_tolerance_g < item.expected_weight_g


def test_names_in_both_locales_and_china_vat_classes(
    imported: tuple[ImportReport, list[Item]],
) -> None:
    items = imported[1]
    assert all(set(i.names) == {"zh_CN", "en"} for i in items)
    by_class = Counter(i.tax_class for i in items)
    assert set(by_class) == {"standard", "reduced", "exempt"}
    fresh = {i.item_id: i.tax_class for i in items if "vegetable" in i.tags or "fruit" in i.tags}
    assert {fresh[k] for k in fresh if k.startswith("P-")} == {"reduced", "exempt"}
    assert all(i.member_price_minor < i.price_minor for i in items if i.member_price_minor)
    assert sum(1 for i in items if i.member_price_minor) >= 10


def test_items_the_scripted_demo_scans_exist(imported: tuple[ImportReport, list[Item]]) -> None:
    by_id = {item.item_id: item for item in active(imported[1])}
    for item_id in ("D-MILK-250", "S-CHIPS-70", "B-TOAST-400", "H-TISSUE-10"):
        assert by_id[item_id].gtins
    assert by_id["DL-ROAST-PORK"].plu == "10005"


def test_the_file_is_plain_utf8_csv_with_one_item_per_line() -> None:
    with DEMO.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(lines)
