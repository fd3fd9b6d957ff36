"""Opening SQLite files the same way everywhere, and migrating their schema.

Shared by the catalogue and the transaction journal (SPEC section 3): WAL with
synchronous=FULL so a committed transaction survives power loss, foreign keys on,
and a busy timeout so a reader never fails just because a writer holds the lock.

Connections are in autocommit mode (`isolation_level=None`): Python's sqlite3 module
never opens a transaction behind the caller's back. Group writes with `transaction()`.

Why plain SQL rather than sqlite-utils here: a migration step must change the schema
*and* `PRAGMA user_version` in one transaction, and steps are reviewed as SQL text;
sqlite-utils' `Migrations` keeps its own bookkeeping table and runs Python functions,
and its `insert_all` is ~5x slower than `executemany` (measured) for the million-row
catalogue import. sqlite-utils stays useful for introspection (tests check indexes and
columns with it).
"""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class DatabaseError(KioskError, sqlite3.DatabaseError):
    """A SQLite file cannot be opened, or its schema is not the one expected.

    Also a `sqlite3.DatabaseError`, so code that salvages a damaged file on SQLite's
    own error (the journal does) treats a wrapped one the same way.
    """


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open `path` in WAL mode with synchronous=FULL, foreign keys and a busy timeout.

    Read-write connections create the file if needed and switch it to WAL. A read-only
    connection (`readonly=True`) requires an existing file and leaves its journal mode
    alone; any write through it fails. The connection is in autocommit mode.
    """
    uri = path.resolve().as_uri() + ("?mode=ro" if readonly else "?mode=rwc")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        what = "read" if readonly else "open or create"
        raise DatabaseError(f"cannot {what} SQLite database {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DatabaseError(
                    f"SQLite database {path} cannot use WAL (journal_mode stays {mode!r}); "
                    "is it on a network or read-only file system?"
                )
            conn.execute("PRAGMA synchronous = FULL")
        else:
            # Touch the file so that "not a database" shows up here, not at first query.
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise DatabaseError(f"cannot use SQLite database {path}: {exc}") from exc
    except DatabaseError:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[None]:
    """Run the block in one transaction: COMMIT on success, ROLLBACK on any exception.

    `immediate=True` (BEGIN IMMEDIATE) takes the write lock up front, so a writer waits
    for the busy timeout at the start rather than failing half-way through.
    """
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_id(name: str) -> int:
    """The `PRAGMA application_id` that marks a file as holding schema `name`.

    A positive 31-bit CRC of the name: stable across versions, and different for the
    catalogue and the journal, so opening one with the other's migrations fails loudly.
    """
    return (zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF) or 1


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migration steps applied to this database (`PRAGMA user_version`)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, steps: Sequence[str], name: str) -> int:
    """Bring the database to schema `name`, version `len(steps)`; return that version.

    `PRAGMA user_version` counts the steps already applied; each pending step (SQL text,
    one or more statements) runs in its own transaction together with the version bump,
    so a failed step leaves the database at the previous version. Steps are append-only:
    never edit a released step, add a new one.

    Raises DatabaseError if the file belongs to another schema, is newer than `steps`
    (software downgrade), or a step fails.
    """
    expected_id = schema_id(name)
    current = schema_version(conn)
    file_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if current > 0 and file_id != expected_id:
        raise DatabaseError(
            f"database holds a different schema (application_id {file_id}), "
            f"not {name!r} (application_id {expected_id}); check the --db path"
        )
    if current > len(steps):
        raise DatabaseError(
            f"{name} database is at schema version {current} but this software knows only "
            f"up to {len(steps)}; install the newer kiosk software or restore an older file"
        )
    for number in range(current + 1, len(steps) + 1):
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{steps[number - 1]}\n;\n"
            f"PRAGMA application_id = {expected_id};\n"
            f"PRAGMA user_version = {number};\n"
            "COMMIT;"
        )
        try:
            conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise DatabaseError(f"{name} schema migration step {number} failed: {exc}") from exc
        log.info("schema migrated", extra={"schema": name, "version": number})
    return len(steps)
