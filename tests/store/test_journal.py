"""The journal: durable append, exact restore, and damage that is detected, never trusted."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.codec import CodecError
from kiosk.domain.sale import sale_from_transaction
from kiosk.domain.transaction import (
    INITIAL,
    CheckoutStarted,
    Event,
    ItemAdded,
    OutOfService,
    PaymentStarted,
    PaymentSucceeded,
    ReceiptIssued,
    RecordSale,
    SessionClosed,
    SessionStarted,
    Status,
    Transaction,
    reduce,
)
from kiosk.errors import JournalError
from kiosk.store.journal import Journal, JournalEntry
from tests.domain.test_transaction import priced

T0 = datetime(2026, 11, 27, 9, 30).astimezone()


def milk(n: int) -> Item:
    return Item(
        item_id=f"milk-{n}",
        names={"zh_CN": "牛奶", "en": "Milk"},
        price_minor=650 + n,
        currency="CNY",
        tax_class="standard",
        unit=Unit.EACH,
        department="dairy",
    )


class Writer:
    """Feeds events through reduce then the journal, as kiosk.checkout does."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.state = journal.restore().state
        self.at = T0

    def apply(self, event: Event) -> int:
        new, effects = reduce(self.state, event)
        sale = None
        if any(isinstance(e, RecordSale) for e in effects):
            sale = sale_from_transaction(new, store_id="S1", kiosk_id="K1", completed_at=self.at)
        seq = self.journal.append(event, new, sale)
        self.state = new
        return seq

    def tick(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def sell(self, tx_id: str, n_items: int) -> None:
        self.apply(SessionStarted(self.tick(), tx_id))
        for i in range(n_items):
            self.apply(ItemAdded(self.tick(), f"{tx_id}-l{i}", milk(i)))
        self.apply(CheckoutStarted(self.tick(), priced(self.state)))
        due = self.state.amount_due_minor
        self.apply(PaymentStarted(self.tick(), f"{tx_id}-p", "stub", due))
        self.apply(PaymentSucceeded(self.tick(), f"{tx_id}-p", due, "STUB"))
        self.apply(ReceiptIssued(self.tick(), printed=True))
        self.apply(SessionClosed(self.tick()))


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"


def test_open_basket_is_restored_exactly_after_reopen(journal_path: Path) -> None:
    journal = Journal.open(journal_path)
    writer = Writer(journal)
    writer.sell("tx1", 2)
    writer.apply(SessionStarted(writer.tick(), "tx2"))
    for i in range(3):
        writer.apply(ItemAdded(writer.tick(), f"tx2-l{i}", milk(i)))
    expected = writer.state
    journal.close()

    reopened = Journal.open(journal_path)
    restored = reopened.restore()
    assert restored.state == expected
    assert restored.state.status is Status.SHOPPING
    assert [line.line_id for line in restored.state.lines] == ["tx2-l0", "tx2-l1", "tx2-l2"]
    assert restored.quarantined == 0
    reopened.close()


def test_paid_sale_is_in_the_outbox_in_the_same_commit(journal_path: Path) -> None:
    journal = Journal.open(journal_path)
    writer = Writer(journal)
    writer.sell("tx1", 3)
    assert journal.sale_ids() == ["tx1"]
    sale = journal.sale("tx1")
    assert sale is not None
    assert sale.total_minor == 650 + 651 + 652
    pending = journal.outbox_pending()
    assert [m.key for m in pending] == ["tx1"]
    journal.outbox_acknowledge(["tx1"], T0)
    assert journal.outbox_pending() == []
    journal.close()


def test_events_appended_together_commit_once_and_restore_in_order(journal_path: Path) -> None:
    journal = Journal.open(journal_path)
    commits: list[str] = []
    journal._conn.set_trace_callback(  # counting the fsyncs is the point
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    started = SessionStarted(T0, "tx1")
    opened, _ = reduce(INITIAL, started)
    added = ItemAdded(T0, "tx1-l0", milk(0))
    after, _ = reduce(opened, added)
    seqs = journal.append_all([JournalEntry(started, opened), JournalEntry(added, after)])
    assert seqs == [1, 2]
    assert commits == ["COMMIT"]
    journal.close()

    reopened = Journal.open(journal_path)
    assert reopened.restore().state == after
    assert [e.kind for _, e in reopened.events()] == ["session_started", "item_added"]
    reopened.close()


def _opened() -> tuple[SessionStarted, Transaction]:
    started = SessionStarted(T0, "tx1")
    return started, reduce(INITIAL, started)[0]


def test_the_hook_before_commit_runs_once_the_events_are_written_and_not_yet_durable(
    journal_path: Path,
) -> None:
    journal = Journal.open(journal_path)
    trail: list[str] = []
    journal._conn.set_trace_callback(lambda sql: trail.append(sql.split()[0]))
    started, opened = _opened()
    seqs = journal.append_all(
        [JournalEntry(started, opened)], before_commit=lambda: trail.append("hook")
    )
    assert seqs == [1]
    assert trail == ["BEGIN", "INSERT", "hook", "COMMIT"]
    journal.close()
    assert Journal.open(journal_path).restore().state == opened


def test_a_commit_that_fails_after_the_hook_appends_nothing(journal_path: Path) -> None:
    journal = Journal.open(journal_path)
    interrupt: list[bool] = []
    # SQLite interrupts the first statement after the hook, the COMMIT (not the ROLLBACK).
    journal._conn.set_progress_handler(lambda: interrupt.pop() if interrupt else False, 1)
    started, opened = _opened()
    with pytest.raises(JournalError, match="cannot append session_started #1"):
        journal.append_all(
            [JournalEntry(started, opened)], before_commit=lambda: interrupt.append(True)
        )
    assert journal.last_seq == 0
    journal._conn.set_progress_handler(None, 1)
    assert journal.append(started, opened) == 1
    journal.close()
    assert [seq for seq, _ in Journal.open(journal_path).events()] == [1]


def test_a_batch_that_fails_midway_leaves_nothing_and_the_journal_writable(
    journal_path: Path,
) -> None:
    journal = Journal.open(journal_path)
    started = SessionStarted(T0, "tx1")
    opened, _ = reduce(INITIAL, started)
    unencodable = ItemAdded(T0, "tx1-l0", object())  # type: ignore[arg-type]
    with pytest.raises(CodecError, match="cannot encode"):
        journal.append_all([JournalEntry(started, opened), JournalEntry(unencodable, opened)])
    assert journal.last_seq == 0
    assert list(journal.events()) == []
    assert journal.append(started, opened) == 1
    journal.close()
    assert [seq for seq, _ in Journal.open(journal_path).events()] == [1]


def test_restore_after_rest_replays_nothing_and_keeps_out_of_service(journal_path: Path) -> None:
    journal = Journal.open(journal_path)
    writer = Writer(journal)
    writer.sell("tx1", 1)
    writer.apply(OutOfService(writer.tick(), "printer cover open"))
    journal.close()
    journal = Journal.open(journal_path)
    state = journal.restore().state
    assert state.status is Status.OUT_OF_SERVICE
    assert state.out_of_service_reason == "printer cover open"
    journal.close()


def _fill(journal_path: Path, sales: int, open_lines: int) -> list[Transaction]:
    """Write sales then an open basket; return the state after every event."""
    journal = Journal.open(journal_path)
    writer = Writer(journal)
    states: list[Transaction] = [INITIAL]
    original = writer.apply

    def tracking(event: Event) -> int:
        seq = original(event)
        states.append(writer.state)
        return seq

    writer.apply = tracking  # type: ignore[method-assign]
    for n in range(sales):
        writer.sell(f"tx{n}", 2)
    writer.apply(SessionStarted(writer.tick(), "open"))
    for i in range(open_lines):
        writer.apply(ItemAdded(writer.tick(), f"open-l{i}", milk(i)))
    journal.close()
    return states


def _states(journal: Journal) -> list[Transaction]:
    """The state after every journalled event: states[seq]."""
    states = [INITIAL]
    for _, event in journal.events():
        states.append(reduce(states[-1], event)[0])
    return states


def test_torn_wal_tail_recovers_the_last_complete_event(tmp_path: Path) -> None:
    """Power cut mid-write: any truncation of the WAL leaves a prefix of the events."""
    live = tmp_path / "live" / "journal.db"
    live.parent.mkdir()
    journal = Journal.open(live)
    journal._conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep every commit in the WAL
    writer = Writer(journal)
    writer.sell("tx0", 2)
    writer.apply(SessionStarted(writer.tick(), "open"))
    for i in range(4):
        writer.apply(ItemAdded(writer.tick(), f"open-l{i}", milk(i)))
    states = _states(journal)
    # What a power cut would leave on disk: the files as they are while the writer runs.
    db_bytes = live.read_bytes()
    wal_bytes = Path(f"{live}-wal").read_bytes()
    journal.close()

    rng = random.Random(7)
    cuts = {rng.randrange(32, len(wal_bytes)) for _ in range(12)} | {40, len(wal_bytes) - 1}
    for cut in sorted(cuts):
        case = tmp_path / f"cut{cut}"
        case.mkdir()
        (case / "journal.db").write_bytes(db_bytes)
        (case / "journal.db-wal").write_bytes(wal_bytes[:cut])
        torn = Journal.open(case / "journal.db")
        restored = torn.restore()
        assert restored.state == states[restored.last_seq], f"WAL cut at byte {cut}"
        assert restored.quarantined == 0
        torn.close()
    assert restored.last_seq < len(states) - 1  # the last cut did lose the final commit


def test_corrupt_event_row_is_quarantined_and_recovery_uses_the_last_good(
    journal_path: Path,
) -> None:
    states = _fill(journal_path, sales=1, open_lines=5)
    last = len(states) - 1
    bad = last - 2  # damage the third-last event (an item of the open basket)
    conn = sqlite3.connect(journal_path)
    conn.execute("UPDATE journal SET body = replace(body, '牛奶', '牛乳') WHERE seq = ?", (bad,))
    conn.commit()
    conn.close()

    journal = Journal.open(journal_path)
    restored = journal.restore()
    assert restored.quarantined == 3
    assert restored.state == states[bad - 1]
    assert journal.quarantined() == 3
    # New events continue the sequence after the last good one.
    assert journal.last_seq == bad - 1
    journal.close()


def test_unreadable_journal_is_kept_aside_and_its_readable_prefix_salvaged(
    journal_path: Path,
) -> None:
    _fill(journal_path, sales=3, open_lines=2)
    data = journal_path.read_bytes()
    # Tear the file: keep the first pages, lose the tail.
    journal_path.write_bytes(data[: len(data) // 2])
    journal = Journal.open(journal_path)
    restored = journal.restore()
    assert restored.salvaged_from is not None
    assert restored.salvaged_from.exists()
    # Whatever survived is a consistent prefix: it replays without quarantine.
    assert restored.state.status in (Status.IDLE, Status.SHOPPING, Status.PAYING, Status.PAID)
    for tx_id in journal.sale_ids():
        assert journal.sale(tx_id) is not None
    journal.close()


def test_garbage_file_is_renamed_aside_and_a_fresh_journal_started(journal_path: Path) -> None:
    journal_path.write_bytes(b"this is not a database" * 100)
    journal = Journal.open(journal_path)
    restored = journal.restore()
    assert restored.state == INITIAL
    assert restored.salvaged_from is not None
    assert restored.salvaged_from.read_bytes().startswith(b"this is not a database")
    journal.close()


def test_corrupt_point_at_rest_falls_back_to_the_one_before(journal_path: Path) -> None:
    states = _fill(journal_path, sales=2, open_lines=2)
    conn = sqlite3.connect(journal_path)
    (last_rest,) = conn.execute("SELECT MAX(seq) FROM journal WHERE at_rest = 1").fetchone()
    conn.execute("UPDATE journal SET body = body || ' ' WHERE seq = ?", (last_rest,))
    conn.commit()
    conn.close()

    journal = Journal.open(journal_path)
    restored = journal.restore()
    assert restored.quarantined == len(states) - last_rest  # that row and all after it
    assert restored.state == states[last_rest - 1]
    assert journal.last_seq == last_rest - 1
    journal.close()
