"""Schema steps for the kiosk's SQLite files, applied by `kiosk.store.sqlite.migrate`.

Each list is append-only: a released step is never edited; a schema change is a new
step at the end (`PRAGMA user_version` counts the steps applied).
"""

from __future__ import annotations

CATALOGUE_SCHEMA = "catalogue"

# SPEC section 3, "Catalogue". Money in integer minor units; weights in grams.
# `key` is an internal integer id (small, fast joins); `item_id` is head office's id.
# `pinyin_initials` holds the first letters of the pinyin of the zh_CN name (苹果 -> pg)
# for searching on a Latin keyboard. Explicit indexes are listed after the tables:
# the importer drops them before a bulk load and re-creates them afterwards.
CATALOGUE_STEPS: tuple[str, ...] = (
    """
    CREATE TABLE item (
        key                INTEGER PRIMARY KEY,
        item_id            TEXT    NOT NULL,
        name_zh_cn         TEXT,
        name_en            TEXT,
        pinyin_initials    TEXT,
        price_minor        INTEGER NOT NULL CHECK (price_minor > 0),
        currency           TEXT    NOT NULL,
        tax_class          TEXT    NOT NULL,
        unit               TEXT    NOT NULL CHECK (unit IN ('each', 'kg')),
        department         TEXT    NOT NULL,
        age_limit          INTEGER NOT NULL DEFAULT 0 CHECK (age_limit IN (0, 16, 18)),
        expected_weight_g  INTEGER CHECK (expected_weight_g > 0),
        weight_tolerance_g INTEGER CHECK (weight_tolerance_g > 0),
        member_price_minor INTEGER CHECK (member_price_minor > 0),
        plu                TEXT,
        image              TEXT,
        active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        tags               TEXT    NOT NULL DEFAULT '',
        CHECK (name_zh_cn IS NOT NULL OR name_en IS NOT NULL),
        CHECK ((expected_weight_g IS NULL) = (weight_tolerance_g IS NULL))
    );
    CREATE TABLE gtin (
        gtin14   TEXT    PRIMARY KEY CHECK (length(gtin14) = 14),
        item_key INTEGER NOT NULL REFERENCES item (key) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE TABLE catalogue_meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX item_item_id ON item (item_id);
    CREATE UNIQUE INDEX item_plu ON item (plu) WHERE plu IS NOT NULL;
    CREATE INDEX gtin_item_key ON gtin (item_key);
    """,
)
