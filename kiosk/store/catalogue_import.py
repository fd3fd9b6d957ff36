"""Importing a head-office catalogue export into the kiosk's SQLite catalogue.

Formats (docs/catalogue-format.md): CSV (`.csv`, UTF-8, one item per row, GTINs
separated by `|`), a JSON document (`.json`) and JSON Lines (`.jsonl`, `.ndjson`).

The import is atomic and keeps the last good catalogue: the new catalogue is built
in `<db>.importing` next to the live file, every row is validated, and only when all
rows are valid does the finished file replace the live one (`os.replace`, then the
directory is fsynced). Any problem raises `CatalogueImportError` listing every
problem as `file:line: field: reason`, and the live catalogue is untouched.

The live catalogue file is never written in place; every change is a new import.
Records are read by `kiosk.store.catalogue_files` and checked by
`kiosk.store.catalogue_rows`; this module makes a checked export live.
Processes that hold it open see the new catalogue after `CatalogueStore.refresh()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.domain.catalogue import Item
from kiosk.store.catalogue import CatalogueWriter, Duplicate
from kiosk.store.catalogue_files import Record, read_catalogue
from kiosk.store.catalogue_rows import MAX_PROBLEMS_KEPT, CatalogueImportError, ImportProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a successful import put live."""

    source: str
    db_path: str
    sha256: str
    currency: str
    items: int
    active_items: int
    gtins: int
    plus: int

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "db_path": self.db_path,
            "sha256": self.sha256,
            "currency": self.currency,
            "items": self.items,
            "active_items": self.active_items,
            "gtins": self.gtins,
            "plus": self.plus,
        }


def import_catalogue(src: Path, db_path: Path, *, currency: str | None = None) -> ImportReport:
    """Validate the export `src` and make it the live catalogue at `db_path`, atomically.

    `currency`, when given, is the store's currency: every item must use it (otherwise
    all items must share the first item's). On any problem raises CatalogueImportError
    (every problem as `file:line: field: reason`) and leaves the live catalogue exactly
    as it was. An export with no items is refused rather than emptying the shop.
    """
    records = read_catalogue(src)
    db_path = db_path.absolute()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    building = db_path.with_name(db_path.name + ".importing")
    summary = f"catalogue import from {src} failed; the live catalogue {db_path} is unchanged"
    with _import_lock(db_path):
        try:
            report = _build(
                src, records, building, db_path=db_path, store_currency=currency, summary=summary
            )
            _quiesce_live(db_path, summary)
            os.replace(building, db_path)
            _fsync_dir(db_path.parent)
        finally:
            building.unlink(missing_ok=True)
    log.info("catalogue imported", extra=report.as_json())
    return report


@contextlib.contextmanager
def _import_lock(db_path: Path) -> Iterator[None]:
    """One import at a time per catalogue; the lock dies with its process."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            reason = f"another import into {db_path} is running; try again when it ends"
            raise CatalogueImportError(
                [ImportProblem(str(db_path), 0, "lock", reason)], summary="import refused"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _Problems:
    """Every problem of an import, keeping the first MAX_PROBLEMS_KEPT."""

    def __init__(self) -> None:
        self.kept: list[ImportProblem] = []
        self.total = 0

    def add(self, problems: Sequence[ImportProblem]) -> None:
        self.total += len(problems)
        self.kept.extend(problems[: MAX_PROBLEMS_KEPT - len(self.kept)])


def _build(
    src: Path,
    records: Iterator[Record],
    building: Path,
    *,
    db_path: Path,
    store_currency: str | None,
    summary: str,
) -> ImportReport:
    problems = _Problems()
    items = active = gtins = plus = 0
    lines = array("q")  # the export line of each key; keys count from 1
    catalogue_currency: tuple[str, int] | None = None
    # Every good item goes in, even after a bad one: the unique indexes then find every
    # duplicate. The file is thrown away if anything is wrong.
    writer = CatalogueWriter(building)
    try:
        for line, record in records:
            if not isinstance(record, Item):
                problems.add(record)
                continue
            item = record
            if store_currency is not None and item.currency != store_currency:
                reason = f"{item.currency} is not the store currency {store_currency}"
                problems.add([ImportProblem(src.name, line, "currency", reason)])
            elif catalogue_currency is None:
                catalogue_currency = (item.currency, line)
            elif item.currency != catalogue_currency[0]:
                first, first_line = catalogue_currency
                reason = f"{item.currency} differs from {first} on line {first_line}"
                problems.add([ImportProblem(src.name, line, "currency", reason)])
            items += 1
            writer.add(item, items)
            lines.append(line)
            active += item.active
            gtins += len(item.gtins)
            plus += item.plu is not None
        if not items and not problems.total:
            reason = "has no items; refusing to replace the catalogue with an empty one"
            problems.add([ImportProblem(src.name, 0, "items", reason)])
        sha256 = _sha256(src)
        meta = {
            "source": src.name,
            "sha256": sha256,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "currency": catalogue_currency[0] if catalogue_currency else "",
            "items": str(items),
        }
        duplicates = writer.finish(meta)
        problems.add([_duplicate_problem(src.name, d, lines) for d in duplicates])
        if problems.total:
            problems.kept.sort(key=lambda problem: problem.line)
            raise CatalogueImportError(problems.kept, total=problems.total, summary=summary)
    except BaseException:
        writer.discard()
        raise
    return ImportReport(
        source=str(src),
        db_path=str(db_path),
        sha256=sha256,
        currency=meta["currency"],
        items=items,
        active_items=active,
        gtins=gtins,
        plus=plus,
    )


def _duplicate_problem(source: str, duplicate: Duplicate, lines: array[int]) -> ImportProblem:
    value = duplicate.value
    if duplicate.field == "gtins":
        value = f"GTIN {value.removeprefix('0')}"
    reason = f"{value} is also on line {lines[duplicate.first_key - 1]}"
    return ImportProblem(source, lines[duplicate.key - 1], duplicate.field, reason)


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _quiesce_live(db_path: Path, summary: str) -> None:
    """Make sure no write-ahead log of the old file can be replayed into the new one.

    SQLite finds a WAL by file name, not by inode: frames left in `<db>-wal` by a crashed
    writer would be applied to whatever file is called `<db>` next. The live catalogue is
    never written in place, so its WAL is normally empty; checkpoint it to be sure.
    """
    wal = db_path.with_name(db_path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot checkpoint the live catalogue", extra={"error": str(exc)})
    if wal.exists() and wal.stat().st_size > 0:
        reason = (
            f"{wal} holds writes another process has not checkpointed; stop the kiosk "
            "processes using the catalogue and import again"
        )
        raise CatalogueImportError([ImportProblem(str(db_path), 0, "wal", reason)], summary=summary)


def _fsync_dir(directory: Path) -> None:
    """Persist a rename: the new directory entry is durable only once the directory is."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
