"""The shared SQLite helper (connect, migrate) and the catalogue schema it builds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from kiosk.errors import CatalogueError, KioskError
from kiosk.store import catalogue as catalogue_module
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.migrations import CATALOGUE_SCHEMA, CATALOGUE_STEPS
from kiosk.store.sqlite import (
    DatabaseError,
    connect,
    migrate,
    schema_id,
    schema_version,
    transaction,
)

from .catalogue_samples import sample_rows, write_csv


def test_migrate_from_empty_builds_the_catalogue_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "catalogue.db")
    try:
        assert schema_version(conn) == 0
        version = migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
        assert version == len(CATALOGUE_STEPS) == schema_version(conn)
        db = sqlite_utils.Database(conn)
        assert {"item", "gtin", "catalogue_meta"} <= set(db.table_names())
        item = db.table("item")
        assert {"item_id", "name_zh_cn", "name_en", "pinyin_initials", "price_minor", "plu"} <= set(
            item.columns_dict
        )
        indexes = {index.name: index for index in item.indexes}
        assert indexes["item_item_id"].unique
        assert indexes["item_plu"].unique
        gtin = db.table("gtin")
        assert gtin.pks == ["gtin14"]
        assert [i.columns for i in gtin.indexes if i.name == "gtin_item_key"] == [["item_key"]]
    finally:
        conn.close()


def test_gtin_lookup_is_a_primary_key_probe(tmp_path: Path) -> None:
    conn = connect(tmp_path / "catalogue.db")
    try:
        migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT item.* FROM gtin JOIN item ON item.key = gtin.item_key"
            " WHERE gtin.gtin14 = ?",
            ("06901234567892",),
        ).fetchall()
        details = " ".join(str(step[-1]) for step in plan)
        assert "SEARCH gtin USING PRIMARY KEY (gtin14=?)" in details
        assert "SCAN" not in details
    finally:
        conn.close()


def test_migrate_twice_changes_nothing(tmp_path: Path) -> None:
    conn = connect(tmp_path / "catalogue.db")
    try:
        migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
        before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
        assert migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA) == len(CATALOGUE_STEPS)
        assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
    finally:
        conn.close()


def test_migrate_applies_only_new_steps(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    conn = connect(path)
    try:
        migrate(conn, ["CREATE TABLE a (x)"], "example")
        conn.execute("INSERT INTO a VALUES (1)")
        assert migrate(conn, ["CREATE TABLE a (x)", "ALTER TABLE a ADD COLUMN y"], "example") == 2
        assert conn.execute("SELECT x, y FROM a").fetchall() == [(1, None)]
    finally:
        conn.close()


def test_a_failed_step_leaves_the_previous_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        steps = ["CREATE TABLE a (x)", "CREATE TABLE b (x); CREATE TABLE a (x)"]
        with pytest.raises(DatabaseError, match="example schema migration step 2 failed"):
            migrate(conn, steps, "example")
        assert schema_version(conn) == 1
        assert not conn.in_transaction
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"a"}  # table b of the failed step was rolled back
    finally:
        conn.close()


def test_migrate_refuses_a_file_of_another_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "journal.db")
    try:
        migrate(conn, ["CREATE TABLE journal (seq INTEGER PRIMARY KEY)"], "journal")
        with pytest.raises(DatabaseError, match="different schema"):
            migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
    finally:
        conn.close()


def test_migrate_refuses_a_newer_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        migrate(conn, ["CREATE TABLE a (x)", "CREATE TABLE b (x)"], "example")
        with pytest.raises(DatabaseError, match="version 2 but this software knows only up to 1"):
            migrate(conn, ["CREATE TABLE a (x)"], "example")
    finally:
        conn.close()


def test_schema_ids_differ_per_schema_and_are_stable() -> None:
    assert schema_id("catalogue") == schema_id("catalogue") > 0
    assert schema_id("catalogue") != schema_id("journal")


def test_connect_sets_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert conn.isolation_level is None  # autocommit: transactions are explicit
    finally:
        conn.close()


def test_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        conn.execute("CREATE TABLE a (x)")
        with transaction(conn):
            conn.execute("INSERT INTO a VALUES (1)")

        def fail_half_way() -> None:
            with transaction(conn):
                conn.execute("INSERT INTO a VALUES (2)")
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fail_half_way()
        assert conn.execute("SELECT x FROM a").fetchall() == [(1,)]
    finally:
        conn.close()


def test_readonly_connection_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    writer = connect(path)
    writer.execute("CREATE TABLE a (x)")
    writer.close()
    reader = connect(path, readonly=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.execute("INSERT INTO a VALUES (1)")
    finally:
        reader.close()


def test_opening_a_missing_file_read_only_is_a_database_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot read SQLite database") as caught:
        connect(tmp_path / "missing.db", readonly=True)
    # Both a KioskError (the CLI reports it) and a sqlite3 error (salvage code sees it).
    assert isinstance(caught.value, KioskError)
    assert isinstance(caught.value, sqlite3.DatabaseError)


def test_a_file_that_is_not_sqlite_is_a_database_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not a database, just some text that is long enough" * 20)
    with pytest.raises(DatabaseError):
        connect(path)


def test_store_migrates_an_older_catalogue_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "catalogue.db"
    import_catalogue(write_csv(tmp_path / "c.csv", sample_rows()), db)
    newer = (*CATALOGUE_STEPS, "ALTER TABLE item ADD COLUMN note TEXT")
    monkeypatch.setattr(catalogue_module, "CATALOGUE_STEPS", newer)
    with CatalogueStore.open(db) as store:
        item = store.get("D-MILK-250")
    assert item is not None
    assert item.price_minor == 350
    conn = sqlite3.connect(db)
    try:
        assert schema_version(conn) == len(newer)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(item)")}
        assert "note" in columns
    finally:
        conn.close()


def test_store_refuses_a_catalogue_from_newer_software(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "catalogue.db"
    import_catalogue(write_csv(tmp_path / "c.csv", sample_rows()), db)
    monkeypatch.setattr(catalogue_module, "CATALOGUE_STEPS", CATALOGUE_STEPS[:0])
    with pytest.raises(CatalogueError, match="newer than this software"):
        CatalogueStore.open(db)


def test_store_refuses_a_file_that_is_not_a_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    conn = connect(path)
    migrate(conn, ["CREATE TABLE journal (seq INTEGER PRIMARY KEY)"], "journal")
    conn.close()
    with pytest.raises(CatalogueError, match="is not a kiosk catalogue"):
        CatalogueStore.open(path)


def test_store_names_the_missing_file_and_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="kiosk catalogue import"):
        CatalogueStore.open(tmp_path / "nothing.db")
