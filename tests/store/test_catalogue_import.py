"""Importing exports atomically, and looking items up in the result."""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.catalogue import AgeLimit, Unit
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.catalogue_rows import CatalogueImportError, ImportProblem

from .catalogue_samples import (
    BEER,
    MILK,
    MILK_PROMO,
    MILK_SHORT,
    MILK_UPC,
    OLD_COLA,
    bad_check_digit,
    gtin,
    json_item,
    row,
    sample_rows,
    write_csv,
    write_json,
    write_json_lines,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A live catalogue holding the sample shop."""
    path = tmp_path / "live" / "catalogue.db"
    import_catalogue(write_csv(tmp_path / "sample.csv", sample_rows()), path, currency="CNY")
    return path


@pytest.fixture
def store(db: Path) -> Iterator[CatalogueStore]:
    with CatalogueStore.open(db) as opened:
        yield opened


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize("code", [MILK, MILK_PROMO, MILK_SHORT, MILK_UPC])
def test_every_gtin_of_a_multi_gtin_item_finds_it(store: CatalogueStore, code: str) -> None:
    for form in (code, code.zfill(14)):
        item = store.lookup_gtin(form)
        assert item is not None
        assert item.item_id == "D-MILK-250"
        assert set(item.gtins) == {g.zfill(14) for g in (MILK, MILK_PROMO, MILK_SHORT, MILK_UPC)}


def test_an_upc_a_is_found_by_its_ean_13_form(store: CatalogueStore) -> None:
    item = store.lookup_gtin("0" + MILK_UPC)
    assert item is not None
    assert item.item_id == "D-MILK-250"


def test_lookup_returns_every_field_of_the_item(store: CatalogueStore) -> None:
    item = store.lookup_gtin(MILK)
    assert item is not None
    assert item.names == {"zh_CN": "纯牛奶 250ml", "en": "Whole milk 250 ml"}
    assert (item.price_minor, item.currency, item.tax_class) == (350, "CNY", "reduced")
    assert (item.unit, item.department, item.age_limit) == (Unit.EACH, "dairy", AgeLimit.NONE)
    assert (item.expected_weight_g, item.weight_tolerance_g) == (262, 10)
    assert item.member_price_minor == 320
    assert item.tags == ("dairy", "multi-buy")
    assert item.active
    beer = store.lookup_gtin(BEER)
    assert beer is not None
    assert beer.age_limit is AgeLimit.EIGHTEEN


def test_plu_finds_the_deli_item_sold_by_weight(store: CatalogueStore) -> None:
    item = store.lookup_plu("10005")
    assert item is not None
    assert item.item_id == "DL-ROAST-PORK"
    assert item.unit is Unit.KG
    assert item.expected_weight_g is None
    assert store.lookup_plu("99999") is None
    assert store.lookup_plu("0010005") is None  # matched as text, as written in the export


def test_inactive_items_are_not_returned_by_lookups(store: CatalogueStore) -> None:
    assert store.lookup_gtin(OLD_COLA) is None
    assert store.lookup_plu("20001") is None
    assert store.get("DR-COLA-355-OLD") is None
    old = store.get("DR-COLA-355-OLD", include_inactive=True)
    assert old is not None
    assert not old.active
    assert store.count() == 4
    assert store.count(include_inactive=True) == 5
    assert store.search("可乐", "zh_CN") == []


def test_unknown_gtin_is_none(store: CatalogueStore) -> None:
    assert store.lookup_gtin(gtin("690000099999")) is None


def test_search_by_name_and_by_pinyin_initials(store: CatalogueStore) -> None:
    assert [i.item_id for i in store.search("苹果", "zh_CN")] == ["P-APPLE-FUJI"]
    assert [i.item_id for i in store.search("APPLE", "en")] == ["P-APPLE-FUJI"]
    assert [i.item_id for i in store.search("pg", "zh_CN")] == ["P-APPLE-FUJI"]  # 红富士苹果
    assert [i.item_id for i in store.search("cnn", "zh_CN")] == ["D-MILK-250"]  # 纯牛奶
    assert [i.item_id for i in store.search("%", "en")] == []  # LIKE wildcards are literal
    assert len(store.search("0", "en", limit=2)) == 2


def test_meta_records_source_and_checksum(db: Path, tmp_path: Path) -> None:
    with CatalogueStore.open(db) as store:
        meta = store.meta()
    assert meta["source"] == "sample.csv"
    assert meta["sha256"] == digest(tmp_path / "sample.csv")
    assert meta["currency"] == "CNY"
    assert meta["items"] == "5"


# --------------------------------------------------------------------------- formats


def test_report_counts_what_went_live(tmp_path: Path) -> None:
    report = import_catalogue(write_csv(tmp_path / "a.csv", sample_rows()), tmp_path / "c.db")
    assert (report.items, report.active_items, report.gtins, report.plus) == (5, 4, 6, 3)
    assert report.currency == "CNY"
    assert report.sha256 == digest(tmp_path / "a.csv")


@pytest.mark.parametrize("writer", [write_json, write_json_lines], ids=["json", "jsonl"])
def test_json_exports_give_the_same_catalogue_as_csv(tmp_path: Path, writer: object) -> None:
    rows = sample_rows()
    import_catalogue(write_csv(tmp_path / "a.csv", rows), tmp_path / "csv.db")
    suffix = ".json" if writer is write_json else ".jsonl"
    assert callable(writer)
    import_catalogue(writer(tmp_path / f"a{suffix}", rows), tmp_path / "json.db")
    with (
        CatalogueStore.open(tmp_path / "csv.db") as from_csv,
        CatalogueStore.open(tmp_path / "json.db") as from_json,
    ):
        for r in rows:
            item_id = r["item_id"]
            expected = from_csv.get(item_id, include_inactive=True)
            assert expected is not None
            assert from_json.get(item_id, include_inactive=True) == expected


def test_csv_columns_may_come_in_any_order_and_optional_ones_may_be_missing(
    tmp_path: Path,
) -> None:
    columns = ["price_minor", "name_en", "item_id", "gtins", "unit", "currency", "tax_class"]
    columns.append("department")
    src = write_csv(tmp_path / "a.csv", [row()], columns=columns)
    import_catalogue(src, tmp_path / "c.db")
    with CatalogueStore.open(tmp_path / "c.db") as store:
        item = store.get("ITEM-1")
    assert item is not None
    assert item.names == {"en": "Test item"}
    assert item.expected_weight_g is None  # not given: no weigh


def test_csv_with_byte_order_mark_and_blank_lines_imports(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "a.csv", [row()])
    text = src.read_text(encoding="utf-8")
    src.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\n\n").encode("utf-8"))
    assert import_catalogue(src, tmp_path / "c.db").items == 1


# --------------------------------------------------------------------------- atomicity

# (what is wrong, the bad row's overrides, the field named, part of the reason)
CORRUPT_ROWS = [
    ("decimal price", {"price_minor": "12.50"}, "price_minor", "1250"),
    ("negative price", {"price_minor": "-5"}, "price_minor", "not between 1"),
    ("zero price", {"price_minor": "0"}, "price_minor", "not between 1"),
    ("missing price", {"price_minor": ""}, "price_minor", "missing"),
    (
        "bad GTIN check digit",
        {"gtins": bad_check_digit(gtin("690555500001"))},
        "gtins",
        "check digit",
    ),
    ("GTIN of 10 digits", {"gtins": "6905555000"}, "gtins", "8, 12, 13 or 14 digits"),
    ("GTIN with a letter", {"gtins": "69055550000A"}, "gtins", "8, 12, 13 or 14 digits"),
    ("empty GTIN between separators", {"gtins": f"{gtin('690555500001')}||"}, "gtins", "empty"),
    ("duplicate GTIN in an item", {"gtins": f"{MILK_PROMO}|{MILK_PROMO}"}, "gtins", "twice"),
    ("unknown unit", {"unit": "pcs"}, "unit", "each or kg"),
    ("unsupported currency", {"currency": "XYZ"}, "currency", "unsupported currency"),
    ("not the store currency", {"currency": "EUR"}, "currency", "not the store currency CNY"),
    ("bad age limit", {"age_limit": "21"}, "age_limit", "0, 16 or 18"),
    ("weight without tolerance", {"weight_tolerance_g": ""}, "weight_tolerance_g", "both"),
    ("weight of a kg item", {"unit": "kg"}, "expected_weight_g", "weighed"),
    ("member price above price", {"member_price_minor": "99999"}, "member_price_minor", "above"),
    ("name with a line break", {"name_en": "Test\nitem"}, "name_en", "control character"),
    ("no name at all", {"name_zh_CN": "", "name_en": ""}, "name_zh_CN", "at least one"),
    ("bad active flag", {"active": "maybe"}, "active", "1, 0, true"),
    ("item id with a space", {"item_id": "ITEM 9"}, "item_id", "A-Z a-z 0-9"),
    ("tax class in capitals", {"tax_class": "Standard"}, "tax_class", "tax class name"),
    ("PLU of letters", {"plu": "12AB"}, "plu", "1-6 digits"),
    ("empty tag", {"tags": "a||b"}, "tags", "empty tag"),
    ("duplicate item id", {"item_id": "D-MILK-250"}, "item_id", "also on line 2"),
    ("GTIN of another item", {"gtins": MILK_SHORT}, "gtins", "also on line 2"),
    ("PLU of another item", {"plu": "10005"}, "plu", "also on line 3"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [case[1:] for case in CORRUPT_ROWS],
    ids=[case[0] for case in CORRUPT_ROWS],
)
def test_corrupt_row_is_reported_and_the_live_catalogue_stays(
    db: Path, tmp_path: Path, overrides: dict[str, str], field: str, reason: str
) -> None:
    live_before = digest(db)
    bad = row(**{"item_id": "ITEM-9", "gtins": gtin("690555500009"), **overrides})
    src = write_csv(tmp_path / "export.csv", [*sample_rows(), bad])  # bad row is on line 7
    with CatalogueStore.open(db) as open_store:
        with pytest.raises(CatalogueImportError) as caught:
            import_catalogue(src, db, currency="CNY")
        problems = caught.value.problems
        assert any(
            p.source == "export.csv" and p.line == 7 and p.field == field and reason in p.reason
            for p in problems
        ), problems
        assert f"export.csv:7: {field}: " in str(caught.value)
        assert "unchanged" in str(caught.value)
        # The catalogue in use still answers, and the file on disk is the one before.
        milk = open_store.lookup_gtin(MILK)
        assert milk is not None
        assert milk.item_id == "D-MILK-250"
    assert digest(db) == live_before
    assert not (db.parent / "catalogue.db.importing").exists()
    with CatalogueStore.open(db) as reopened:
        assert reopened.count(include_inactive=True) == 5
        assert reopened.get("ITEM-9") is None


def test_store_currency_must_match(db: Path, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "eur.csv", [row(currency="EUR")])
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db, currency="CNY")
    assert caught.value.problems == (
        ImportProblem("eur.csv", 2, "currency", "EUR is not the store currency CNY"),
    )


@pytest.mark.parametrize(
    "case",
    [
        (b"", 0, "header", "empty"),
        (b"\n\n", 0, "header", "empty"),
        (b"item_id,price_minor\nX,1\n", 1, "header", "missing columns"),
        (
            b"item_id,item_id,name_en,price_minor,currency,tax_class,unit,department\n",
            1,
            "header",
            "duplicate columns",
        ),
        (
            "item_id,名字,name_en,price_minor,currency,tax_class,unit,department\n".encode(),
            1,
            "名字",
            "unknown column",
        ),
        (
            "item_id,name_zh_CN,price_minor,currency,tax_class,unit,department\n"
            "A,苹果,100,CNY,reduced,kg,produce\n".encode("gb18030"),
            2,
            "encoding",
            "UTF-8",
        ),
        (
            b"item_id,name_en,price_minor,currency,tax_class,unit,department\nA,x,1,CNY,s,each\n",
            2,
            "row",
            "has 6 fields, the header has 7",
        ),
        (
            b"item_id,name_en,price_minor,currency,tax_class,unit,department\n",
            0,
            "items",
            "no items",
        ),
        (
            b'item_id,name_en,price_minor,currency,tax_class,unit,department\n"A,x\n',
            2,
            "csv",
            "end of data",
        ),
    ],
    ids=[
        "empty file",
        "blank lines only",
        "missing columns",
        "duplicate columns",
        "unknown column",
        "not UTF-8",
        "short row",
        "header only",
        "unterminated quote",
    ],
)
def test_unusable_csv_files_are_refused_with_where_and_why(
    db: Path, tmp_path: Path, case: tuple[bytes, int, str, str]
) -> None:
    content, line, field, reason = case
    live_before = digest(db)
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db)
    assert any(
        p.line == line and p.field == field and reason in p.reason for p in caught.value.problems
    ), caught.value.problems
    assert digest(db) == live_before


def test_a_catalogue_has_one_currency(db: Path, tmp_path: Path) -> None:
    rows = [row(item_id="A", gtins=""), row(item_id="B", gtins="", currency="EUR")]
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(write_csv(tmp_path / "mixed.csv", rows), db)
    assert [str(p) for p in caught.value.problems] == [
        "mixed.csv:3: currency: EUR differs from CNY on line 2"
    ]


def test_every_problem_is_listed_at_once_in_file_order(db: Path, tmp_path: Path) -> None:
    rows = [
        row(item_id="A", gtins=gtin("690777700001"), price_minor="1.5"),
        row(item_id="B", gtins=gtin("690777700002")),
        row(item_id="C", gtins=gtin("690777700001"), unit="box"),
    ]
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(write_csv(tmp_path / "e.csv", rows), db)
    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [(2, "price_minor"), (4, "unit")]
    assert caught.value.total == 2
    assert "(2 problems)" in str(caught.value)


def test_a_duplicate_gtin_names_both_lines(db: Path, tmp_path: Path) -> None:
    rows = [row(item_id=f"I{n}", gtins=gtin(f"69077770{n:04d}")) for n in range(30_000)]
    rows.append(row(item_id="LATE", gtins=gtin("690777700123")))
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(write_csv(tmp_path / "big.csv", rows), db)
    assert [str(p) for p in caught.value.problems] == [
        f"big.csv:30002: gtins: GTIN {gtin('690777700123')} is also on line 125"
    ]


def test_problem_list_is_capped_but_counted(db: Path, tmp_path: Path) -> None:
    rows = [row(item_id=f"I{n}", gtins="", price_minor="x") for n in range(1200)]
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(write_csv(tmp_path / "e.csv", rows), db)
    assert caught.value.total == 1200
    assert len(caught.value.problems) == 1000
    assert "... and 1150 more" in str(caught.value)


def test_a_successful_import_replaces_the_catalogue_and_refresh_sees_it(
    db: Path, tmp_path: Path
) -> None:
    with CatalogueStore.open(db) as store:
        assert not store.refresh()
        new_rows = [*sample_rows()[:1], row(item_id="NEW", gtins=gtin("690888800001"))]
        import_catalogue(write_csv(tmp_path / "new.csv", new_rows), db)
        assert store.get("NEW") is None  # still reading the catalogue it opened
        assert store.get("DR-BEER-330") is not None
        assert store.refresh()
        assert store.get("NEW") is not None
        assert store.get("DR-BEER-330") is None
        assert not store.refresh()
    assert sorted(p.name for p in db.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "catalogue.db",
        "catalogue.db.lock",
    ]


def test_an_import_is_refused_while_another_one_runs(db: Path, tmp_path: Path) -> None:
    live_before = digest(db)
    with (db.parent / "catalogue.db.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(CatalogueImportError, match="another import"):
            import_catalogue(write_csv(tmp_path / "a.csv", [row()]), db)
    assert digest(db) == live_before


def test_a_half_built_file_from_a_crashed_import_is_replaced(db: Path, tmp_path: Path) -> None:
    (db.parent / "catalogue.db.importing").write_bytes(b"half a database")
    import_catalogue(write_csv(tmp_path / "a.csv", [row()]), db)
    assert not (db.parent / "catalogue.db.importing").exists()
    with CatalogueStore.open(db) as store:
        assert store.count() == 1


def test_first_import_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "catalogue.db"
    import_catalogue(write_csv(tmp_path / "x.csv", [row()]), target)
    with CatalogueStore.open(target) as store:
        assert store.get("ITEM-1") is not None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [("export.xlsx", b"PK", "unknown file type"), ("missing.csv", None, "does not exist")],
)
def test_unreadable_sources_are_refused(
    db: Path, tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    src = tmp_path / name
    if content is not None:
        src.write_bytes(content)
    with pytest.raises(CatalogueImportError, match=reason):
        import_catalogue(src, db)


# --------------------------------------------------------------------------- JSON problems


def json_document(items: list[object], **header: object) -> str:
    document = {"format": "kiosk-catalogue", "version": 1, **header, "items": items}
    return json.dumps(document, ensure_ascii=False)


def test_json_problems_name_the_line_and_the_item(db: Path, tmp_path: Path) -> None:
    good = json_item(row())
    bad = {**json_item(row(item_id="B", gtins=gtin("690999900002"))), "price_minor": "990"}
    src = tmp_path / "e.json"
    src.write_text(json_document([good, bad]), encoding="utf-8")  # minified: one line
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db)
    assert [str(p) for p in caught.value.problems] == [
        'e.json:1: items[1].price_minor: must be an integer, got "990"'
    ]


def test_json_items_on_separate_lines_report_their_lines(db: Path, tmp_path: Path) -> None:
    items = [json_item(row(item_id=f"I{n}", gtins=gtin(f"69099990{n:04d}"))) for n in range(3)]
    items[2]["unit"] = "box"
    items[1]["colour"] = "red"
    src = tmp_path / "e.json"
    document = {"format": "kiosk-catalogue", "version": 1, "items": items}
    src.write_text(json.dumps(document, indent=1), encoding="utf-8")
    text = src.read_text(encoding="utf-8").splitlines()
    starts = [n for n, line in enumerate(text, start=1) if line == "  {"]
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (starts[1], "items[1].colour"),
        (starts[2], "items[2].unit"),
    ]


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (json_document([json_item(row())], version=2), "format", '"version": 1'),
        (json_document([json_item(row())], shop="x"), "shop", "unknown top-level key"),
        ('{"format": "kiosk-catalogue", "version": 1}', "items", "missing"),
        ('{"format": "kiosk-catalogue", "version": 1, "items": [{]}', "json", "Expecting"),
        ('{"format": "kiosk-catalogue", "version": 1, "items": []} x', "json", "extra data"),
        ('[{"item_id": "A"}]', "json", "expected one of '{'"),
        ('{"format": "kiosk-catalogue", "version": 1, "items": [42]}', "items[0].item", "object"),
        (
            json_document([{**json_item(row()), "gtins": [6901234567892]}]),
            "items[0].gtins",
            "list of strings",
        ),
        (
            json_document([{**json_item(row()), "names": {"fr": "x"}}]),
            "items[0].names.fr",
            "unknown locale",
        ),
        (json_document([{**json_item(row()), "active": 1}]), "items[0].active", "true or false"),
        (json_document([]), "items", "no items"),
    ],
    ids=[
        "wrong version",
        "unknown top-level key",
        "no items key",
        "syntax error",
        "trailing garbage",
        "array at top level",
        "item not an object",
        "GTIN as a number",
        "unknown locale",
        "active as a number",
        "empty items",
    ],
)
def test_bad_json_documents_are_refused(
    db: Path, tmp_path: Path, text: str, field: str, reason: str
) -> None:
    live_before = digest(db)
    src = tmp_path / "e.json"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db)
    assert any(p.field == field and reason in p.reason for p in caught.value.problems), (
        caught.value.problems
    )
    assert digest(db) == live_before


def test_json_lines_problems_name_their_line(db: Path, tmp_path: Path) -> None:
    lines = [json.dumps(json_item(row())), "", "{not json", json.dumps({"item_id": "X"})]
    src = tmp_path / "e.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(src, db)
    where = {(p.line, p.field) for p in caught.value.problems}
    assert (3, "json") in where
    assert (4, "price_minor") in where
    assert all(p.line in (3, 4) for p in caught.value.problems)
