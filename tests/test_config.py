"""The config loader: typed, bounded values; unknown keys and bad values name file, section, key."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from kiosk.config import demo_config_path, load_config
from kiosk.domain.money import Rounding
from kiosk.errors import ConfigError

BASE = """
[kiosk]
id = "K9"

[store]
id = "S1"
currency = "EUR"
locale = "en"
rounding = "half_even"
tax_inclusive = false

[tax]
standard = "19"
reduced = "7"
"""


PRINTER = '[devices.receipt_printer]\ndriver = "escpos"\nurl = "tcp://127.0.0.1:9100"\n'


def test_printer_config_sets_paper_and_codec(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE + PRINTER + 'paper_mm = 58\ncodec = "gbk"\n'))
    assert config.paper_mm == 58
    assert config.printer_codec == "gbk"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_config_loads_with_typed_values(tmp_path: Path) -> None:
    config = load_config(demo_config_path(), data_dir=tmp_path)
    assert config.store.currency == "CNY"
    assert config.store.tax_rates["standard"] == Fraction(13, 100)
    assert config.paths.journal == tmp_path / "journal.db"
    assert config.paper_mm == 80
    assert config.printer_codec == "gb18030"


def test_european_store_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.kiosk_id == "K9"
    assert config.store.rounding is Rounding.HALF_EVEN
    assert config.store.tax_inclusive is False
    assert config.store.tax_rates == {"standard": Fraction(19, 100), "reduced": Fraction(7, 100)}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[stor]\nid = 1\n", r"unknown section\(s\): stor"),
        ("[receipt]\npaper_mm = 80\n", r"\[receipt\] unknown key\(s\): paper_mm"),
        (f"{PRINTER}paper_mm = 62\n", r"\[devices.receipt_printer\] paper_mm: must be 58 or 80"),
        (f"{PRINTER}paper_mm = 120\n", r"\[devices.receipt_printer\] paper_mm: 120 out of range"),
        (f'{PRINTER}codec = "big5"\n', r"\[devices.receipt_printer\] codec: 'big5' is not one"),
        (f'{PRINTER}paper_mm = "80"\n', r"paper_mm: expected an integer"),
        ("[barcodes]\nsurprise = true\n", r"\[barcodes\].*surprise"),
    ],
)
def test_bad_values_name_the_file_section_and_key(tmp_path: Path, extra: str, message: str) -> None:
    path = write(tmp_path, BASE + extra)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('currency = "EUR"', 'currency = "EURO"', r"\[store\] currency: 'EURO' is not one of"),
        ('standard = "19"', "standard = 19", r"\[tax\] standard: write the rate as a string"),
        ('standard = "19"', 'standard = "150"', r"\[tax\] standard: 150% out of range"),
        ('id = "K9"', "", r"\[kiosk\] id: missing \(required\)"),
        ("tax_inclusive = false", "tax_inclusive = 0", r"tax_inclusive: expected true or false"),
    ],
)
def test_bad_store_values_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, BASE.replace(old, new)))


def test_unreadable_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[kiosk\nid="))
