"""Property tests for the record validators and the pinyin initials."""

from __future__ import annotations

from typing import Any

from biip.gtin import Gtin
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from kiosk.domain.catalogue import LOCALES, AgeLimit, Item, Unit
from kiosk.store.catalogue import _PinyinInitials
from kiosk.store.catalogue_rows import (
    CSV_COLUMNS,
    MAX_PRICE_MINOR,
    CatalogueImportError,
    item_to_json,
    parse_csv_row,
    parse_json_item,
)

from .catalogue_samples import gtin, row

CELL_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "1", "-1", "18", "kg", "each", "CNY", "1.5", "|", "a||b"]),
    st.integers(-(10**12), 10**12).map(str),
    st.from_regex(r"[0-9]{7,14}", fullmatch=True),
)
COLUMN = st.one_of(st.sampled_from(CSV_COLUMNS), st.text(min_size=1, max_size=12))


def assert_sound(item: Item) -> None:
    """What every validated item promises, whatever the input was."""
    assert item.item_id
    assert item.names
    assert set(item.names) <= set(LOCALES)
    assert 0 < item.price_minor <= MAX_PRICE_MINOR
    assert item.unit in Unit
    assert item.age_limit in AgeLimit
    for code in item.gtins:
        assert len(code) == 14
        assert Gtin.parse(code).as_gtin_14() == code  # biip agrees on the check digit
    assert len(set(item.gtins)) == len(item.gtins)
    assert (item.expected_weight_g is None) == (item.weight_tolerance_g is None)
    if item.unit is Unit.KG:
        assert item.expected_weight_g is None
    if item.member_price_minor is not None:
        assert 0 < item.member_price_minor <= item.price_minor


def assert_problems_say_where(error: CatalogueImportError, line: int) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.source == "fuzz.csv"
        assert problem.line == line
        assert problem.field
        assert problem.reason
        assert str(problem).startswith(f"fuzz.csv:{line}: {problem.field}: ")


@settings(max_examples=300)
@given(st.dictionaries(COLUMN, CELL_TEXT, max_size=20), st.integers(1, 10**6))
def test_random_csv_rows_raise_nothing_but_catalogue_import_error(
    cells: dict[str, str], line: int
) -> None:
    try:
        item = parse_csv_row(cells, source="fuzz.csv", line=line)
    except CatalogueImportError as exc:
        assert_problems_say_where(exc, line)
    else:
        assert_sound(item)


@settings(max_examples=300)
@given(st.sampled_from(CSV_COLUMNS), CELL_TEXT, st.integers(1, 10**6))
def test_a_valid_row_with_one_random_cell_raises_nothing_but_catalogue_import_error(
    column: str, cell: str, line: int
) -> None:
    cells = row(**{column: cell})
    error: CatalogueImportError | None = None
    try:
        assert_sound(parse_csv_row(cells, source="fuzz.csv", line=line))
    except CatalogueImportError as exc:
        error = exc
    if error is not None:
        assert_problems_say_where(error, line)
        # The problem is with the changed cell or a field that depends on it.
        related = {"expected_weight_g", "weight_tolerance_g", "member_price_minor", "name_zh_CN"}
        assert {p.field for p in error.problems} <= {column} | related


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@settings(max_examples=300)
@given(st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(list(row())), JSON_VALUES)))
def test_random_json_items_raise_nothing_but_catalogue_import_error(value: Any) -> None:
    try:
        item = parse_json_item(value, source="fuzz.csv", line=3)
    except CatalogueImportError as exc:
        assert_problems_say_where(exc, 3)
    else:
        assert_sound(item)


VALID_ROWS = st.builds(
    lambda body, price, member, weighed, unit, age, zh, en, tags, active: row(
        item_id=f"I-{body}",
        gtins=gtin(f"69{body:010d}"),
        plu=str(body % 1_000_000),
        name_zh_CN=zh,
        name_en=en,
        price_minor=price,
        member_price_minor=min(member, price) if member else "",
        unit=unit,
        age_limit=age,
        expected_weight_g=weighed if unit == "each" and weighed else "",
        weight_tolerance_g=max(1, weighed // 20) if unit == "each" and weighed else "",
        tags="|".join(tags),
        active=int(active),
    ),
    st.integers(0, 10**10 - 1),
    st.integers(1, MAX_PRICE_MINOR),
    st.integers(0, 10**6),
    st.integers(0, 20_000),
    st.sampled_from(["each", "kg"]),
    st.sampled_from([0, 16, 18]),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}", fullmatch=True).map(str.strip),
    st.lists(st.from_regex(r"[a-z][a-z-]{0,10}", fullmatch=True), max_size=3, unique=True),
    st.booleans(),
)


@given(VALID_ROWS)
def test_valid_rows_survive_the_trip_through_the_json_format(cells: dict[str, str]) -> None:
    item = parse_csv_row(cells, source="a.csv", line=2)
    assert_sound(item)
    assert parse_json_item(item_to_json(item), source="a.json", line=2) == item


PINYIN_TEXT = st.text(
    st.sampled_from(
        "长城干红葡萄酒银行乐事重庆大米行李调味便宜单车朝阳和平种子好的还有都会"
        "新疆苹果牛奶面包鸡蛋 1kg·ABC（）〇"
    ),
    max_size=16,
)


@settings(max_examples=300)
@given(st.lists(PINYIN_TEXT, min_size=1, max_size=5))
def test_pinyin_initials_equal_pypinyins_phrase_aware_result(names: list[str]) -> None:
    initials = _PinyinInitials()  # a fresh cache each time, then reused across names
    for name in names:
        expected = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
        assert initials(name) == expected


def test_pinyin_initials_use_phrases_for_ambiguous_characters() -> None:
    initials = _PinyinInitials()
    assert initials("长城干红") == "ccgh"  # 长 is chang here, not zhang
    assert initials("红富士苹果 5kg") == "hfspg"
    assert initials("Coca-Cola 330ml") == ""
