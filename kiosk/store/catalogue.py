"""The kiosk's SQLite catalogue (SPEC section 3, "Catalogue"): reading and building it.

`CatalogueStore` reads. It is read-only: the catalogue changes only by a whole new
import (`kiosk.store.catalogue_import.import_catalogue`), which builds a new file with
`CatalogueWriter` and replaces the live one; the one exception is a schema migration
after a software update, applied in place on open. Lookups return active items only:
an inactive (delisted) item scans as unknown. `get` and `count` can include inactive
items on request.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kiosk.domain.catalogue import LOCALES, AgeLimit, Item, Unit, gtin14
from kiosk.errors import CatalogueError
from kiosk.store.migrations import CATALOGUE_SCHEMA, CATALOGUE_STEPS
from kiosk.store.sqlite import DatabaseError, connect, migrate, schema_id, schema_version

log = logging.getLogger(__name__)

_LOCALE_COLUMN = {"zh_CN": "name_zh_cn", "en": "name_en"}
_COLUMNS = (
    "item.key, item_id, name_zh_cn, name_en, price_minor, currency, tax_class, unit,"
    " department, age_limit, expected_weight_g, weight_tolerance_g, member_price_minor,"
    " plu, image, active, tags"
)


class CatalogueStore:
    """Lookups in one catalogue file. Not thread-safe: use it from one thread."""

    def __init__(self, path: Path, conn: sqlite3.Connection, identity: tuple[int, int]) -> None:
        self.path = path
        self._conn = conn
        self._identity = identity

    @classmethod
    def open(cls, path: Path) -> CatalogueStore:
        """Open the catalogue at `path` read-only.

        A catalogue written by older software is migrated in place first. Raises
        CatalogueError if the file is missing, is not a catalogue, or was written by a
        newer schema than this software knows.
        """
        if not path.is_file():
            raise CatalogueError(
                f"no catalogue at {path}; import one with `kiosk catalogue import FILE --db {path}`"
                " or `kiosk catalogue seed-demo --db PATH`"
            )
        identity = _identity(path)  # before connecting: a swap in between means one reopen
        try:
            conn = connect(path, readonly=True)
        except DatabaseError as exc:
            raise CatalogueError(str(exc)) from exc
        try:
            if _check_schema(conn, path) < len(CATALOGUE_STEPS):
                conn.close()
                _migrate_in_place(path)
                conn = connect(path, readonly=True)
        except DatabaseError as exc:
            conn.close()
            raise CatalogueError(str(exc)) from exc
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, identity)

    def refresh(self) -> bool:
        """Reopen the file if an import has replaced it since; True if it did."""
        try:
            current = _identity(self.path)
        except FileNotFoundError:
            return False  # keep serving the catalogue we have
        if current == self._identity:
            return False
        fresh = CatalogueStore.open(self.path)
        self._conn.close()
        self._conn, self._identity = fresh._conn, fresh._identity
        log.info("catalogue reopened after import", extra={"path": str(self.path)})
        return True

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> CatalogueStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def lookup_gtin(self, gtin: str) -> Item | None:
        """The active item with this GTIN (8, 12, 13 or 14 digits; zero-padded to 14).

        The GTIN is the primary key of the `gtin` table: one index probe. Raises
        CatalogueError for a string that is not 8/12/13/14 digits.
        """
        return self._one(
            f"SELECT {_COLUMNS} FROM gtin JOIN item ON item.key = gtin.item_key"
            " WHERE gtin.gtin14 = ? AND item.active = 1",
            (gtin14(gtin),),
        )

    def lookup_plu(self, plu: str) -> Item | None:
        """The active item with this PLU / scale item code, matched exactly as text."""
        return self._one(f"SELECT {_COLUMNS} FROM item WHERE plu = ? AND active = 1", (plu,))

    def get(self, item_id: str, *, include_inactive: bool = False) -> Item | None:
        """The item with head office's id `item_id` (active only unless asked otherwise)."""
        where = "item_id = ?" if include_inactive else "item_id = ? AND active = 1"
        return self._one(f"SELECT {_COLUMNS} FROM item WHERE {where}", (item_id,))

    def count(self, *, include_inactive: bool = False) -> int:
        """How many (active) items the catalogue holds."""
        where = "" if include_inactive else " WHERE active = 1"
        return int(self._conn.execute(f"SELECT count(*) FROM item{where}").fetchone()[0])

    def search(self, text: str, locale: str, limit: int = 20) -> list[Item]:
        """Active items whose name in either locale contains `text` (case-insensitive for
        Latin letters) or, when `text` is Latin letters, whose pinyin initials contain it
        ("pg" finds 红富士苹果, "hfspg").

        Matches at the start of the name in `locale` or of the initials come first, then
        by name in `locale`. This scans the item table (there is no full-text index):
        fine for a search box (~0.3 s at a million items), not for a scan loop.
        """
        if locale not in LOCALES:
            raise CatalogueError(f"unknown locale {locale!r}; use one of {LOCALES}")
        needle = text.strip()
        if not needle or limit <= 0:
            return []
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        name = _LOCALE_COLUMN[locale]
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM item"
            " WHERE active = 1 AND (name_zh_cn LIKE :contains ESCAPE '\\'"
            " OR name_en LIKE :contains ESCAPE '\\'"
            " OR (:letters AND pinyin_initials LIKE :contains ESCAPE '\\'))"
            f" ORDER BY NOT (coalesce({name} LIKE :prefix ESCAPE '\\', 0)"
            " OR (:letters AND coalesce(pinyin_initials LIKE :prefix ESCAPE '\\', 0))),"
            f" coalesce({name}, name_zh_cn, name_en), item_id LIMIT :limit",
            {
                "contains": f"%{escaped}%",
                "prefix": f"{escaped}%",
                "letters": int(needle.isascii() and needle.isalpha()),
                "limit": limit,
            },
        ).fetchall()
        return [self._item(row) for row in rows]

    def meta(self) -> dict[str, str]:
        """What the last import recorded: source, sha256, imported_at, currency, items."""
        return dict(self._conn.execute("SELECT name, value FROM catalogue_meta").fetchall())

    def _one(self, sql: str, params: tuple[str, ...]) -> Item | None:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else self._item(row)

    def _item(self, row: tuple[object, ...]) -> Item:
        (key, item_id, zh, en, price, cur, tax, unit, dept, age, weight, tol, member) = row[:13]
        plu, image, active, tags = row[13:]
        gtins = tuple(
            sorted(
                g
                for (g,) in self._conn.execute("SELECT gtin14 FROM gtin WHERE item_key = ?", (key,))
            )
        )
        names = {
            locale: str(value) for locale, value in (("zh_CN", zh), ("en", en)) if value is not None
        }
        return Item(
            item_id=str(item_id),
            names=names,
            price_minor=_int(price),
            currency=str(cur),
            tax_class=str(tax),
            unit=Unit(unit),
            department=str(dept),
            gtins=gtins,
            plu=None if plu is None else str(plu),
            age_limit=AgeLimit(_int(age)),
            expected_weight_g=None if weight is None else _int(weight),
            weight_tolerance_g=None if tol is None else _int(tol),
            member_price_minor=None if member is None else _int(member),
            image=None if image is None else str(image),
            active=bool(active),
            tags=tuple(str(tags).split("|")) if tags else (),
        )


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise CatalogueError(f"catalogue holds {value!r} where a whole number belongs")
    return value


def _identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino)


def _check_schema(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after checking it is a catalogue this software reads."""
    version = schema_version(conn)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id != schema_id(CATALOGUE_SCHEMA) or version == 0:
        raise CatalogueError(f"{path} is not a kiosk catalogue (application_id {app_id})")
    if version > len(CATALOGUE_STEPS):
        raise CatalogueError(
            f"catalogue {path} has schema version {version}, newer than this software"
            f" ({len(CATALOGUE_STEPS)}); import the catalogue again with this software"
        )
    return version


def _migrate_in_place(path: Path) -> None:
    conn = connect(path)
    try:
        version = migrate(conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
    finally:
        conn.close()
    log.info("catalogue schema migrated", extra={"path": str(path), "version": version})


# --------------------------------------------------------------------------- building

_ITEM_COLUMNS = (
    "key",
    "item_id",
    "name_zh_cn",
    "name_en",
    "pinyin_initials",
    "price_minor",
    "currency",
    "tax_class",
    "unit",
    "department",
    "age_limit",
    "expected_weight_g",
    "weight_tolerance_g",
    "member_price_minor",
    "plu",
    "image",
    "active",
    "tags",
)
_INSERT_ITEM = (
    f"INSERT INTO item ({', '.join(_ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})"
)
_INSERT_GTIN = "INSERT INTO gtin (gtin14, item_key) VALUES (?, ?)"
_BATCH_ROWS = 20_000
# What to report when a unique index cannot be built: field name and the query listing
# every duplicated value with the keys (export lines) that carry it.
_DUPLICATES = {
    "item_item_id": (
        "item_id",
        "SELECT item_id, group_concat(key) FROM item GROUP BY item_id HAVING count(*) > 1",
    ),
    "item_plu": (
        "plu",
        "SELECT plu, group_concat(key) FROM item WHERE plu IS NOT NULL"
        " GROUP BY plu HAVING count(*) > 1",
    ),
}


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A value that must be unique appears on `key` and, earlier, on `first_key`."""

    field: str  # "item_id", "gtins" or "plu"
    value: str
    key: int
    first_key: int


class CatalogueWriter:
    """Builds a new catalogue file from scratch, as fast as SQLite allows.

    Nobody reads the file while it is built, so there is no journal and no fsync while
    loading (a crash just loses a file that was never live), and secondary indexes are
    created once after the load instead of row by row. `finish` fsyncs the file and
    switches it to WAL. Keys are the caller's (unique, positive): duplicates are
    reported by key, for the caller to say where they came from.
    """

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "locking_mode = EXCLUSIVE",
            "cache_size = -65536",
            "temp_store = MEMORY",
        ):
            self._conn.execute(f"PRAGMA {pragma}")
        migrate(self._conn, CATALOGUE_STEPS, CATALOGUE_SCHEMA)
        # The schema steps are the one definition of the indexes: keep their SQL, drop
        # them for the load, run the same SQL afterwards.
        self._indexes: list[tuple[str, str]] = self._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in self._indexes:
            self._conn.execute(f'DROP INDEX "{name}"')
        self._conn.execute("BEGIN")
        self._items: list[tuple[object, ...]] = []
        self._gtins: list[tuple[str, int]] = []
        self._initials = _PinyinInitials()
        self.duplicates: list[Duplicate] = []

    def add(self, item: Item, key: int) -> None:
        """Queue one item under `key` (unique, positive)."""
        zh = item.names.get("zh_CN")
        self._items.append(
            (
                key,
                item.item_id,
                zh,
                item.names.get("en"),
                (self._initials(zh) or None) if zh else None,
                item.price_minor,
                item.currency,
                item.tax_class,
                item.unit.value,
                item.department,
                int(item.age_limit),
                item.expected_weight_g,
                item.weight_tolerance_g,
                item.member_price_minor,
                item.plu,
                item.image,
                int(item.active),
                "|".join(item.tags),
            )
        )
        self._gtins.extend((gtin, key) for gtin in item.gtins)
        if len(self._items) >= _BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._conn.executemany(_INSERT_ITEM, self._items)
        try:
            self._conn.executemany(_INSERT_GTIN, self._gtins)
        except sqlite3.IntegrityError:
            # A GTIN is already taken (rare: the export is bad). Find every one in this
            # batch; the rows before the failing one are in already.
            for gtin, key in self._gtins:
                try:
                    self._conn.execute(_INSERT_GTIN, (gtin, key))
                except sqlite3.IntegrityError:
                    (first,) = self._conn.execute(
                        "SELECT item_key FROM gtin WHERE gtin14 = ?", (gtin,)
                    ).fetchone()
                    if first != key:
                        self.duplicates.append(Duplicate("gtins", gtin, key, int(first)))
        self._items.clear()
        self._gtins.clear()

    def finish(self, meta: Mapping[str, str]) -> list[Duplicate]:
        """Write the rest, build the indexes, make the file durable and close it.

        Returns every duplicated item id, GTIN and PLU (empty when the catalogue is
        good); the file is only usable when that list is empty.
        """
        self._flush()
        self._conn.executemany(
            "INSERT INTO catalogue_meta (name, value) VALUES (?, ?)", meta.items()
        )
        self._conn.execute("COMMIT")
        for name, sql in self._indexes:
            try:
                self._conn.execute(sql)
            except sqlite3.IntegrityError:
                self.duplicates.extend(self._duplicates(name))
        if not self.duplicates:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.close()
        with self.path.open("rb") as built:
            os.fsync(built.fileno())
        return sorted(self.duplicates, key=lambda d: (d.key, d.field))

    def _duplicates(self, index: str) -> list[Duplicate]:
        field, query = _DUPLICATES[index]
        found: list[Duplicate] = []
        for value, keys in self._conn.execute(query):
            first, *others = sorted(int(k) for k in str(keys).split(","))
            found.extend(Duplicate(field, str(value), key, first) for key in others)
        return found

    def discard(self) -> None:
        """Close and delete the half-built file."""
        self._conn.close()
        self.path.unlink(missing_ok=True)


class _PinyinInitials:
    """First letters of the pinyin of the Han characters in a name: 苹果 -> "pg".

    Same result as `"".join(lazy_pinyin(name, Style.FIRST_LETTER, errors="ignore"))`,
    but pypinyin costs ~40 µs a name, too slow for a million items. So: characters whose
    readings all start with the same letter come from a per-character cache; in a name
    with an ambiguous character (长, 行, 乐, 大) each run of Han characters is cut into
    words by pypinyin's own segmenter and each word goes through pypinyin (长城 -> "cc",
    not "zc"). Runs and words are cached: a catalogue reuses a limited vocabulary (the
    same product name in several sizes, the same words across products).
    """

    _CACHE_LIMIT = 200_000  # entries per cache; cleared when full, to bound memory

    def __init__(self) -> None:
        # Imported here: pypinyin loads large dictionaries, and `kiosk --help` need not.
        from pypinyin import Style, lazy_pinyin, pinyin  # noqa: PLC0415
        from pypinyin.constants import RE_HANS  # noqa: PLC0415
        from pypinyin.core import Pinyin  # noqa: PLC0415
        from pypinyin.pinyin_dict import pinyin_dict  # noqa: PLC0415

        self._lazy_pinyin = lazy_pinyin
        self._pinyin = pinyin
        self._segment = Pinyin().seg
        self._style = Style.FIRST_LETTER
        self._han = pinyin_dict
        # pypinyin's own definition of a Han character, so runs split where it splits.
        self._han_runs = re.compile(str(RE_HANS.pattern).removeprefix("^").removesuffix("$"))
        self._letters: dict[str, str | None] = {}  # "" = not Han, None = ambiguous
        self._runs: dict[str, str] = {}
        self._words: dict[str, str] = {}

    def _letter(self, char: str) -> str | None:
        if ord(char) not in self._han:
            return ""
        readings = self._pinyin(char, style=self._style, heteronym=True)[0]
        letters = {reading[:1].lower() for reading in readings if reading}
        return letters.pop() if len(letters) == 1 else None

    def _word(self, word: str) -> str:
        initials = self._words.get(word)
        if initials is None:
            if len(self._words) >= self._CACHE_LIMIT:
                self._words.clear()
            letters = self._lazy_pinyin(word, style=self._style, errors="ignore")
            initials = self._words[word] = "".join(letters).lower()
        return initials

    def _run(self, run: str) -> str:
        initials = self._runs.get(run)
        if initials is None:
            if len(self._runs) >= self._CACHE_LIMIT:
                self._runs.clear()
            initials = self._runs[run] = "".join(map(self._word, self._segment(run)))
        return initials

    def __call__(self, name: str) -> str:
        if name.isascii():
            return ""
        letters: list[str] = []
        for char in name:
            try:
                letter = self._letters[char]
            except KeyError:
                letter = self._letters[char] = self._letter(char)
            if letter is None:
                return "".join(map(self._run, self._han_runs.findall(name)))
            letters.append(letter)
        return "".join(letters)
