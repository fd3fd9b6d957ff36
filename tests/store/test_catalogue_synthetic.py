"""bench/catalogue_data.py: synthetic catalogues are valid, unique and reproducible."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from biip.gtin import Gtin

from bench.catalogue_data import write_synthetic_catalogue
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue


def test_a_synthetic_catalogue_imports_cleanly(tmp_path: Path) -> None:
    src = tmp_path / "synthetic.csv"
    write_synthetic_catalogue(src, 3000, seed=7)
    report = import_catalogue(src, tmp_path / "catalogue.db")
    assert report.items == 3000
    assert report.gtins > 2800  # one each for items sold each, two for one in ten
    assert report.plus > 0
    with CatalogueStore.open(tmp_path / "catalogue.db") as store:
        with src.open(encoding="utf-8", newline="") as stream:
            first = next(csv.DictReader(stream))
        item = store.get(first["item_id"], include_inactive=True)
        assert item is not None
        assert item.price_minor == int(first["price_minor"])


def test_synthetic_gtins_are_unique_and_valid(tmp_path: Path) -> None:
    src = tmp_path / "synthetic.csv"
    write_synthetic_catalogue(src, 5000, seed=1)
    with src.open(encoding="utf-8", newline="") as stream:
        codes = [g for row in csv.DictReader(stream) for g in row["gtins"].split("|") if g]
    assert len(codes) == len(set(codes))
    for code in codes[:500]:
        Gtin.parse(code)  # raises on a bad check digit


def test_same_seed_same_file_other_seed_other_file(tmp_path: Path) -> None:
    paths = [tmp_path / f"{n}.csv" for n in range(3)]
    for path, seed in zip(paths, (4, 4, 5), strict=True):
        write_synthetic_catalogue(path, 500, seed=seed)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_size_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n must be between"):
        write_synthetic_catalogue(tmp_path / "x.csv", 0, seed=1)
