"""`kiosk catalogue import|lookup|search|seed-demo` through kiosk.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk import cli

from .store.catalogue_samples import MILK, MILK_UPC, bad_check_digit, row, sample_rows, write_csv


@pytest.fixture(autouse=True)
def only_the_catalogue_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # Load just this command group, whatever state the other command groups are in.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("kiosk.commands.catalogue",))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["catalogue", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "catalogue.db"
    src = write_csv(tmp_path / "export.csv", sample_rows())
    code, _, _ = run(capsys, "import", str(src), "--db", str(path))
    assert code == 0
    return path


def test_import_prints_what_went_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "export.csv", sample_rows())
    code, out, _ = run(capsys, "import", str(src), "--db", str(tmp_path / "c.db"), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["items"], report["active_items"], report["gtins"], report["plus"]) == (
        5,
        4,
        6,
        3,
    )


def test_a_bad_import_exits_1_and_lists_every_problem(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [row(gtins=bad_check_digit(MILK)), row(item_id="B", gtins="", currency="usd")]
    src = write_csv(tmp_path / "bad.csv", rows)
    code, out, err = run(capsys, "import", str(src), "--db", str(db))
    assert code == 1
    assert out == ""
    assert "bad.csv:2: gtins: GTIN" in err
    assert "bad.csv:3: currency: unsupported currency 'usd'" in err
    assert "is unchanged" in err
    code, out, _ = run(capsys, "lookup", MILK, "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out)["item"]["item_id"] == "D-MILK-250"


def test_import_with_the_wrong_store_currency_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_csv(tmp_path / "eur.csv", [row(currency="EUR")])
    code, _, err = run(capsys, "import", str(src), "--db", str(db), "--currency", "CNY")
    assert code == 1
    assert "eur.csv:2: currency: EUR is not the store currency CNY" in err


@pytest.mark.parametrize(
    ("code", "matched_by", "item_id"),
    [
        (MILK, "gtin", "D-MILK-250"),
        (MILK_UPC, "gtin", "D-MILK-250"),
        ("10005", "plu", "DL-ROAST-PORK"),
        ("DR-BEER-330", "item_id", "DR-BEER-330"),
    ],
)
def test_lookup_json_by_gtin_plu_or_item_id(
    db: Path, capsys: pytest.CaptureFixture[str], code: str, matched_by: str, item_id: str
) -> None:
    status, out, _ = run(capsys, "lookup", code, "--db", str(db), "--json")
    assert status == 0
    document = json.loads(out)
    assert document["matched_by"] == matched_by
    assert document["item"]["item_id"] == item_id


def test_lookup_json_prints_the_item_in_export_format(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "lookup", MILK, "--db", str(db), "--json")
    item = json.loads(out)["item"]
    assert item["names"] == {"zh_CN": "纯牛奶 250ml", "en": "Whole milk 250 ml"}
    assert item["price_minor"] == 350
    assert item["unit"] == "each"
    assert item["member_price_minor"] == 320
    assert len(item["gtins"]) == 4


def test_lookup_text_shows_price_and_bagging(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lookup", "10005", "--db", str(db))
    assert code == 0
    assert "¥78.00/kg" in out
    assert "weighed at the scale" in out
    _, out, _ = run(capsys, "lookup", "DR-BEER-330", "--db", str(db), "--locale", "en")
    assert "age limit: 18" in out
    assert "355 g ± 14 g" in out


@pytest.mark.parametrize("code", ["123", "DR-COLA-355-OLD", "6901234567892"])
def test_lookup_of_an_unknown_or_inactive_code_exits_1(
    db: Path, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    status, out, _ = run(capsys, "lookup", code, "--db", str(db), "--json")
    assert status == 1
    assert "no active catalogue item" in json.loads(out)["error"]
    status, out, err = run(capsys, "lookup", code, "--db", str(db))
    assert status == 1
    assert out == ""
    assert code in err


def test_lookup_without_a_catalogue_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "lookup", MILK, "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert "kiosk catalogue import" in err


def test_search_by_pinyin_initials(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "pg", "--db", str(db), "--json")
    assert code == 0
    assert [i["item_id"] for i in json.loads(out)["items"]] == ["P-APPLE-FUJI"]
    code, out, _ = run(capsys, "search", "milk", "--db", str(db), "--locale", "en")
    assert code == 0
    assert "D-MILK-250" in out
    assert "¥3.50" in out


def test_seed_demo_imports_the_shipped_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo" / "catalogue.db"
    code, out, _ = run(capsys, "seed-demo", "--db", str(db), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["active_items"] >= 220
    assert report["source"].endswith("demo_catalogue.csv")
    code, out, _ = run(capsys, "lookup", "10005", "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out)["item"]["item_id"] == "DL-ROAST-PORK"
