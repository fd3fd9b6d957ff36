"""The checkout shell on the demo store: scans in, journal and sale out, bad input refused."""

from __future__ import annotations

import gc
import itertools
import random
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.app import YOUNG_GC_THRESHOLD, demo_file, open_checkout, seed_demo_store
from kiosk.checkout import Checkout
from kiosk.config import KioskConfig
from kiosk.domain.barcodes import variable_measure_label
from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.pricing import PricedBasket, PricingError, price_basket
from kiosk.domain.transaction import AttendantReason, Status, Transaction
from kiosk.payment.stub import StubPaymentProvider
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.promotions_file import load_promotion_file

NOW = datetime(2026, 11, 27, 11, 0).astimezone()  # a Friday morning
MILK = "6920101000010"  # D-MILK-250, 3.50, "3 for 2" in the demo promotions
MILK_PACK_CODE = "6920101000027"  # a second GTIN of the same item
TOAST = "6920909000014"  # B-TOAST-400, 12.90


@pytest.fixture
def store(tmp_path: Path) -> KioskConfig:
    return seed_demo_store(tmp_path / "kiosk")


@pytest.fixture
def checkout(store: KioskConfig) -> Iterator[Checkout]:
    ids = (f"id{n}" for n in itertools.count())
    lane = open_checkout(store, clock=lambda: NOW, ids=lambda: next(ids))
    yield lane
    lane.close()


def test_scans_build_a_priced_basket_with_the_multi_buy_explained(checkout: Checkout) -> None:
    for code in (MILK, MILK_PACK_CODE, MILK, TOAST):
        assert checkout.scan(code).status == "added"
    priced = checkout.priced()
    assert priced.subtotal_minor == 3 * 350 + 1290
    assert priced.total_minor == 2 * 350 + 1290
    discounts = [d for line in priced.lines for d in line.discounts]
    assert [d.rule_id for d in discounts] == ["MILK-3FOR2"]
    assert discounts[0].amount_minor == 350


@pytest.mark.parametrize("seed", range(5))
def test_in_a_multi_buy_the_last_scanned_of_identical_items_is_the_free_one(
    store: KioskConfig, seed: int
) -> None:
    rng = random.Random(seed)  # ids as random as a kiosk's uuids, different each run
    checkout = open_checkout(store, clock=lambda: NOW, ids=lambda: f"{rng.getrandbits(64):016x}")
    try:
        added = [checkout.scan(MILK).line_id for _ in range(3)]
        assert len(set(added)) == 3
        saving = {line.line_id: line.discount_minor for line in checkout.priced().lines}
        assert [saving.get(line_id or "") for line_id in added] == [0, 0, 350]
    finally:
        checkout.close()


def test_deli_label_adds_the_weighed_line_at_the_label_price(checkout: Checkout) -> None:
    label = variable_measure_label("10005", weight_g=386, price_minor=3011)
    outcome = checkout.scan(label)
    assert outcome.status == "added"
    (line,) = checkout.state.lines
    assert line.item.item_id == "DL-ROAST-PORK"
    assert line.weight_g == 386
    assert checkout.priced().total_minor == 3011


def test_unknown_invalid_and_payment_codes_never_reach_the_basket(checkout: Checkout) -> None:
    assert checkout.scan("6901234567892").status == "rejected"  # valid GTIN, not sold here
    bad = checkout.scan("6920101000011")  # check digit off by one
    assert bad.status == "rejected"
    assert "check digit" in bad.message
    payment = checkout.scan("134567890123456789")  # a WeChat Pay payment code
    assert payment.status == "payment_code"
    assert "134567890123456789" not in repr(payment)
    assert checkout.state.lines == ()


def test_expired_gs1_item_is_blocked(checkout: Checkout) -> None:
    outcome = checkout.scan("]C10106920101000010\x1d17261126")  # expired yesterday
    assert outcome.status == "rejected"
    assert "expired on 2026-11-26" in outcome.message
    assert checkout.scan("]C1010692010100001017261127").status == "added"  # today is fine


def test_member_code_applies_member_prices(checkout: Checkout) -> None:
    checkout.scan("6920707000049")  # H-TISSUE-10: 29.90, member price 26.90
    before = checkout.priced().total_minor
    assert checkout.scan("M8800123456").status == "member"
    assert checkout.priced().total_minor == before - 300


def test_age_restricted_item_needs_an_attendant_before_payment(checkout: Checkout) -> None:
    assert checkout.scan("6920303000016").status == "added"  # DR-BEER-LAGER-330 (18+)
    assert checkout.state.status is Status.ATTENDANT_REQUIRED
    checkout.approve("A001", AttendantReason.AGE_CHECK)
    state = checkout.state  # read again: approve() moved it on
    assert state.status is Status.SHOPPING


def test_paid_sale_is_recorded_once_with_its_outbox_message(
    checkout: Checkout, store: KioskConfig
) -> None:
    checkout.scan(TOAST)
    checkout.start_checkout()
    provider = StubPaymentProvider(store.paths.data_dir / "ledger.db")
    try:
        assert checkout.pay(provider).status == "approved"
    finally:
        provider.close()
    tx_id = checkout.state.tx_id
    assert checkout.state.status is Status.PAID
    checkout.finish(printed=True)
    state = checkout.state  # read again: finish() moved it on
    assert state.status is Status.IDLE
    assert checkout.journal.sale_ids() == [tx_id]
    assert [m.key for m in checkout.journal.outbox_pending()] == [tx_id]


def test_the_first_scan_opens_the_session_and_adds_the_line_in_one_commit(
    checkout: Checkout,
) -> None:
    commits: list[str] = []
    checkout.journal._conn.set_trace_callback(  # one fsync is the point
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    assert checkout.state.status is Status.IDLE
    assert checkout.scan(MILK).status == "added"
    assert commits == ["COMMIT"]
    assert [e.kind for _, e in checkout.journal.events()][-2:] == ["session_started", "item_added"]
    assert checkout.scan(TOAST).status == "added"
    assert commits == ["COMMIT", "COMMIT"]


def test_power_loss_mid_basket_restores_lines(store: KioskConfig) -> None:
    ids = (f"id{n}" for n in itertools.count())
    lane = open_checkout(store, clock=lambda: NOW, ids=lambda: next(ids))
    lane.scan(MILK)
    lane.scan(TOAST)
    before = lane.state
    lane.close()  # as if the power went: nothing else is written
    again = open_checkout(store, clock=lambda: NOW, ids=lambda: f"new{next(ids)}")
    try:
        assert again.state == before
        assert again.priced().total_minor == 350 + 1290
    finally:
        again.close()


def test_bad_promotions_file_keeps_the_last_good_set(store: KioskConfig) -> None:
    path = store.paths.promotions
    assert path is not None
    good = load_promotion_file(path)
    path.write_text('{"version": 1, "currency": "CNY", "promotions": [{"id": "x"}]}', "utf-8")
    kept = load_promotion_file(path)
    assert kept.rules == good.rules


def finish_with_stub(checkout: Checkout, tmp_path: Path) -> None:
    checkout.start_checkout()
    stub = StubPaymentProvider(tmp_path / "stub.db")
    try:
        assert checkout.pay(stub).status == "approved"
    finally:
        stub.close()
    checkout.finish(printed=True)


def test_a_catalogue_imported_while_a_shopper_shops_is_used_from_the_next_shopper(
    checkout: Checkout, store: KioskConfig, tmp_path: Path
) -> None:
    checkout.scan(TOAST)
    rows = demo_file("demo_catalogue.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    price = header.index("price_minor")
    changed = []
    for row in rows:
        cells = row.split(",")
        if cells[0] == "B-TOAST-400":
            cells[price] = "1350"
        changed.append(",".join(cells))
    new_csv = tmp_path / "new.csv"
    new_csv.write_text("\n".join(changed) + "\n", encoding="utf-8")
    import_catalogue(new_csv, store.paths.catalogue)  # a technician's import, mid-basket
    checkout.scan(TOAST)
    assert checkout.priced().total_minor == 2 * 1290  # this shopper's basket: one catalogue
    finish_with_stub(checkout, tmp_path)
    checkout.scan(TOAST)  # the next shopper
    assert checkout.priced().total_minor == 1350


def test_promotions_pushed_mid_basket_apply_from_the_next_shopper_and_bad_ones_never(
    checkout: Checkout, store: KioskConfig, tmp_path: Path
) -> None:
    path = store.paths.promotions
    assert path is not None
    for _ in range(3):
        checkout.scan(MILK)
    assert checkout.priced().total_minor == 700  # 3 for 2
    path.write_text('{"version": 1, "currency": "CNY", "promotions": []}', "utf-8")
    assert checkout.priced().total_minor == 700  # not under this shopper's feet
    finish_with_stub(checkout, tmp_path)
    for _ in range(3):
        checkout.scan(MILK)
    assert checkout.priced().total_minor == 1050  # no promotions now
    finish_with_stub(checkout, tmp_path)
    path.write_text('{"version": 1, "promotions": [{"id": "broken"}]}', "utf-8")
    for _ in range(3):
        checkout.scan(MILK)
    assert checkout.priced().total_minor == 1050  # the last good set (no promotions) holds


def test_opening_a_lane_parks_start_up_objects_and_spaces_out_young_collections(
    store: KioskConfig,
) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    lane = open_checkout(store, clock=lambda: NOW, ids=lambda: "x")
    try:
        assert gc.get_freeze_count() > 0  # the catalogue, promotions and code, out of the way
        assert gc.get_threshold()[0] == YOUNG_GC_THRESHOLD
    finally:
        lane.close()


def test_a_scans_basket_is_priced_on_the_pricing_thread_during_the_commit(
    checkout: Checkout,
) -> None:
    priced_on: list[str] = []
    price = checkout._price

    def spy(state: Transaction) -> PricedBasket:
        priced_on.append(threading.current_thread().name)
        return price(state)

    checkout._price = spy  # type: ignore[method-assign]
    for code in (MILK, MILK, MILK, TOAST):
        assert checkout.scan(code).status == "added"
    assert len(priced_on) == 4
    assert all(name.startswith("pricing") for name in priced_on)
    assert threading.current_thread().name not in priced_on
    priced = checkout.priced()  # the worker's basket, adopted with the event
    assert len(priced_on) == 4
    fresh = price_basket(
        checkout.basket_lines(), checkout.promotions, checkout.pricing_context(NOW)
    )
    assert priced == fresh
    assert priced.total_minor == 2 * 350 + 1290


def test_a_basket_that_cannot_be_priced_is_still_journalled_and_raises_when_asked(
    checkout: Checkout,
) -> None:
    no_rate = Item(
        item_id="X-NO-TAX",
        names={"zh_CN": "无税率", "en": "No tax rate"},
        price_minor=100,
        currency="CNY",
        tax_class="no-such-class",
        unit=Unit.EACH,
        department="misc",
    )
    checkout.add_item(no_rate)
    assert [line.item.item_id for line in checkout.state.lines] == ["X-NO-TAX"]
    assert [e.kind for _, e in checkout.journal.events()][-1] == "item_added"
    with pytest.raises(PricingError, match="no-such-class"):
        checkout.priced()
