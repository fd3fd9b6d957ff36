"""The JSON codec for journal events and sale records: exact round trips, typed errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.catalogue import AgeLimit, Item, Unit
from kiosk.domain.codec import CodecError, from_jsonable, to_jsonable
from kiosk.domain.transaction import EVENT_TYPES, ItemAdded, PaymentStarted


@dataclass(frozen=True)
class Sample:
    when: datetime
    day: date
    rate: Fraction
    tags: tuple[str, ...]
    limits: frozenset[int]
    names: dict[str, str]
    maybe: int | None = None


items = st.builds(
    Item,
    item_id=st.text(min_size=1, max_size=12),
    names=st.dictionaries(st.sampled_from(["zh_CN", "en"]), st.text(max_size=20)),
    price_minor=st.integers(1, 10**9),
    currency=st.just("CNY"),
    tax_class=st.sampled_from(["standard", "reduced"]),
    unit=st.sampled_from(Unit),
    department=st.text(min_size=1, max_size=10),
    gtins=st.lists(st.from_regex(r"[0-9]{14}", fullmatch=True), max_size=3).map(tuple),
    plu=st.none() | st.from_regex(r"[0-9]{5}", fullmatch=True),
    age_limit=st.sampled_from(AgeLimit),
    expected_weight_g=st.none() | st.integers(1, 50_000),
)


# The kiosk's clock gives fixed-offset times (datetime.now().astimezone()).
fixed_offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(items, st.datetimes(timezones=fixed_offsets), st.integers(1, 1000))
def test_item_added_round_trips_through_json(item: Item, at: datetime, qty: int) -> None:
    event = ItemAdded(at, "line-1", item, quantity=qty)
    text = json.dumps(to_jsonable(event), ensure_ascii=False)
    assert from_jsonable(ItemAdded, json.loads(text)) == event


@given(st.datetimes(timezones=st.timezones()))
def test_zoned_times_keep_their_instant_and_offset(at: datetime) -> None:
    # A zone name is not stored, only the offset in force: the same instant, also
    # for the repeated hour when clocks go back (where == between zones says False).
    decoded = from_jsonable(datetime, to_jsonable(at))
    assert decoded.utcoffset() == at.utcoffset()
    assert decoded.timestamp() == at.timestamp()


def test_rich_types_round_trip() -> None:
    value = Sample(
        datetime(2026, 11, 27, 10, 0).astimezone(),
        date(2026, 2, 28),
        Fraction(13, 100),
        ("a", "b"),
        frozenset({3, 1}),
        {"zh_CN": "牛奶"},
    )
    assert from_jsonable(Sample, json.loads(json.dumps(to_jsonable(value)))) == value


def test_every_event_kind_is_registered_once() -> None:
    assert EVENT_TYPES["payment_started"] is PaymentStarted
    assert len(set(EVENT_TYPES.values())) == len(EVENT_TYPES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"at": "2026-01-01T00:00:00", "intent_id": "p", "method": "x"}, "amount_minor"),
        (
            {"at": "2026-01-01T00:00:00", "intent_id": "p", "method": "x", "amount_minor": "5"},
            "expected an integer",
        ),
        (
            {
                "at": "2026-01-01T00:00:00",
                "intent_id": "p",
                "method": "x",
                "amount_minor": 5,
                "extra": 1,
            },
            "unknown field",
        ),
        (
            {
                "at": "2026-01-01T00:00:00",
                "intent_id": "p",
                "method": "x",
                "amount_minor": 5,
                "kind": "payment_succeeded",
            },
            "is not one of",
        ),
    ],
)
def test_documents_that_do_not_fit_are_typed_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(CodecError, match=message):
        from_jsonable(PaymentStarted, data)
