"""Property tests and fuzzing of the barcode parser (STYLE.md: fuzz byte-level parsers)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.barcodes import (
    BarcodeConfig,
    InvalidBarcode,
    ScaleLabelLayout,
    ScanKind,
    ScanResult,
    parse_scan,
)
from tests.domain.barcode_reference import upc_e_expanded, with_check_digit

CONFIG = BarcodeConfig()
NO_LAYOUTS = BarcodeConfig(variable_measure=())
TODAY = date(2025, 6, 1)
GS = "\x1d"
GS1_CHARSET_82 = (
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def digit_strings(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: digit_strings(n - 1)))
def test_any_valid_gtin_round_trips_to_its_gtin14(payload: str) -> None:
    code = with_check_digit(payload)
    result = parse_scan(code, NO_LAYOUTS)
    assert result.kind is ScanKind.GTIN
    assert result.gtin == code.zfill(14)
    if len(code) in (12, 13):
        assert parse_scan("]E0" + code, NO_LAYOUTS).gtin == code.zfill(14)


@given(digit_strings(7))
def test_any_valid_ean_8_round_trips_with_its_identifier(payload: str) -> None:
    code = with_check_digit(payload)
    assert parse_scan("]E4" + code, CONFIG).gtin == code.zfill(14)


@given(st.sampled_from("01"), digit_strings(6))
def test_upc_e_expansion_agrees_with_the_reference(number_system: str, data: str) -> None:
    upc_a_without_check = upc_e_expanded(number_system + data + "0")[:-1]
    upc_e = number_system + data + with_check_digit(upc_a_without_check)[-1]
    expected = with_check_digit(upc_a_without_check)
    assert parse_scan("]E0" + upc_e, CONFIG).gtin == expected.zfill(14)
    assert parse_scan("]E0" + upc_e[:7], CONFIG).gtin == expected.zfill(14)


def outcome(data: str, config: BarcodeConfig = CONFIG) -> ScanResult | InvalidBarcode:
    try:
        return parse_scan(data, config, today=TODAY)
    except InvalidBarcode as exc:
        return exc


@given(st.sampled_from([8, 12, 13, 14]).flatmap(digit_strings))
def test_a_wrong_check_digit_is_always_refused(code: str) -> None:
    good = with_check_digit(code[:-1])
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    result = outcome(bad, NO_LAYOUTS)
    if isinstance(result, InvalidBarcode):
        assert "check digit should be" in result.reason
    else:  # only an 8-digit read may legitimately be the other 8-digit symbology (UPC-E)
        assert len(bad) == 8
        assert result.kind is ScanKind.GTIN


# ---------------------------------------------------------------- fuzzing

PREFIXES = [
    "",
    "]E0",
    "]E4",
    "]E3",
    "]C1",
    "]Q3",
    "]d2",
    "]e0",
    "]I1",
    "]C0",
    "]Q1",
    "]",
    "01",
    "(01)",
    "(17)",
    GS,
    "https://id.gs1.org/01/",
    "http://x.cn/01/09506000134352/10/",
    "https://x/01/09506000134352?17=",
    "M",
    "2",
    "28",
]
FUZZ_ALPHABET = "0123456789" * 4 + GS + "()/?=&%#-.ABCMZ ]\x00\x07\r\n条é\u200b٣²"


def assert_parses_or_refuses(data: str) -> None:
    """parse_scan returns a result or raises InvalidBarcode (any other exception fails
    the test), and never reaches its last-resort "internal parser error" guard."""
    result = outcome(data)
    if isinstance(result, InvalidBarcode):
        assert result.reason
        assert not result.reason.startswith("internal parser error"), result.reason
    else:
        assert isinstance(json.dumps(result.to_json(), ensure_ascii=False), str)
        assert repr(result).startswith("ScanResult(")


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_anything_but_invalid_barcode(data: str) -> None:
    assert_parses_or_refuses(data)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(PREFIXES), st.text(alphabet=FUZZ_ALPHABET, max_size=60))
def test_barcode_like_text_never_raises_anything_but_invalid_barcode(
    prefix: str, rest: str
) -> None:
    assert_parses_or_refuses(prefix + rest)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_raw_bytes_decoded_leniently_never_escape(raw: bytes) -> None:
    assert_parses_or_refuses(raw.decode("latin-1"))


@given(st.integers(10, 15), digit_strings(16))
def test_payment_codes_never_show_in_output(start: int, rest: str) -> None:
    code = f"{start}{rest}"
    result = parse_scan(code, CONFIG)
    assert result.kind is ScanKind.PAYMENT_CODE
    assert code not in repr(result)
    assert code not in json.dumps(result.to_json())


# ---------------------------------------------------------------- GS1 round trips

gs1_text = st.text(alphabet=GS1_CHARSET_82, min_size=1, max_size=20)
dates_in_window = st.dates(min_value=date(1977, 1, 1), max_value=date(2074, 12, 31))


@st.composite
def gs1_messages(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    gtin = with_check_digit(draw(digit_strings(13)))
    expiry = draw(dates_in_window)
    lot = draw(gs1_text)
    serial = draw(gs1_text)
    kg_decimals = draw(st.integers(0, 5))
    kg_value = draw(st.integers(0, 999_999))
    count = draw(st.integers(0, 99_999_999))
    price_decimals = draw(st.integers(0, 3))
    price_value = draw(st.integers(0, 10**15 - 1))
    fields = [
        f"01{gtin}",
        f"17{expiry:%y%m%d}",
        f"10{lot}{GS}",
        f"21{serial}{GS}",
        f"310{kg_decimals}{kg_value:06d}",
        f"30{count}{GS}",
        f"392{price_decimals}{price_value}{GS}",
    ]
    order = draw(st.permutations(fields))
    expected = {
        "gtin": gtin,
        "expiry": expiry,
        "lot": lot,
        "serial": serial,
        "weight_g": half_up(Decimal(kg_value).scaleb(3 - kg_decimals)),
        "count": count,
        "price_minor": half_up(Decimal(price_value).scaleb(2 - price_decimals)),
    }
    return "".join(order), expected


@settings(deadline=None)
@given(gs1_messages(), st.sampled_from(["]C1", "]d2", "]Q3", ""]))
def test_gs1_messages_parse_back_to_their_values(
    message: tuple[str, dict[str, object]], identifier: str
) -> None:
    data, expected = message
    result = parse_scan(identifier + data, CONFIG, today=TODAY)
    assert result.kind is ScanKind.GS1
    got = {key: getattr(result, key) for key in expected}
    assert got == expected


@settings(deadline=None)
@given(
    digit_strings(13),
    gs1_text,
    dates_in_window,
    st.integers(0, 5),
    st.integers(0, 999_999),
)
def test_digital_links_parse_back_to_their_values(
    payload: str, lot: str, expiry: date, pound_decimals: int, pounds: int
) -> None:
    gtin = with_check_digit(payload)
    uri = (
        f"https://shop.example/01/{gtin}/10/{quote(lot, safe='')}"
        f"?17={expiry:%y%m%d}&320{pound_decimals}={pounds:06d}"
    )
    result = parse_scan(uri, CONFIG, today=TODAY)
    grams = half_up(Decimal(pounds).scaleb(-pound_decimals) * Decimal("453.59237"))
    assert (result.kind, result.gtin, result.lot) == (ScanKind.DIGITAL_LINK, gtin, lot)
    assert (result.expiry, result.weight_g) == (expiry, grams)


@given(dates_in_window.map(lambda d: d.replace(day=1)))
def test_expiry_day_00_is_the_last_day_of_that_month(first: date) -> None:
    result = parse_scan(f"]C117{first:%y%m}00", CONFIG, today=TODAY)
    next_month = (first + timedelta(days=32)).replace(day=1)
    assert result.expiry == next_month - timedelta(days=1)


# ---------------------------------------------------------------- scale labels


@given(
    st.sampled_from(["20", "21", "22", "23", "24"]),
    digit_strings(5),
    st.integers(0, 99_999),
    st.integers(0, 99_999),
)
def test_default_18_digit_labels_parse_back(flag: str, item: str, grams: int, fen: int) -> None:
    label = with_check_digit(f"{flag}{item}{grams:05d}{fen:05d}")
    result = parse_scan(label, CONFIG)
    assert result.kind is ScanKind.VARIABLE_MEASURE
    assert (result.item_code, result.weight_g, result.price_minor) == (item, grams, fen)


@given(st.sampled_from([f"{n}" for n in range(20, 30)]), digit_strings(5), st.integers(0, 99_999))
def test_default_13_digit_labels_parse_back(flag: str, item: str, fen: int) -> None:
    label = with_check_digit(f"{flag}{item}{fen:05d}")
    result = parse_scan("]E0" + label, CONFIG)
    assert (result.kind, result.item_code, result.price_minor) == (
        ScanKind.VARIABLE_MEASURE,
        item,
        fen,
    )


@st.composite
def custom_labels(draw: st.DrawFn) -> tuple[ScaleLabelLayout, str, dict[str, object]]:
    """A random layout (item, weight and price runs in any order) and a label for it."""
    length = draw(st.sampled_from([13, 18]))
    budget = length - 3  # two flag digits, one check digit
    item_len = draw(st.integers(1, budget - 2))
    weight_len = draw(st.integers(1, budget - item_len - 1))
    price_len = budget - item_len - weight_len
    runs = draw(st.permutations([("I", item_len), ("W", weight_len), ("P", price_len)]))
    pattern = "FF" + "".join(letter * size for letter, size in runs) + "C"
    values = {letter: draw(digit_strings(size)) for letter, size in runs}
    weight_decimals = draw(st.integers(0, 6))
    price_decimals = draw(st.integers(0, 2))
    flag = draw(st.sampled_from(["02", "20", "24"]))
    layout = ScaleLabelLayout(pattern, (flag,), weight_decimals, price_decimals)
    label = with_check_digit(flag + "".join(values[letter] for letter, _ in runs))
    expected = {
        "item_code": values["I"],
        "weight_g": half_up(Decimal(int(values["W"])).scaleb(3 - weight_decimals)),
        "price_minor": half_up(Decimal(int(values["P"])).scaleb(2 - price_decimals)),
    }
    return layout, label, expected


@settings(deadline=None)
@given(custom_labels())
def test_custom_layout_labels_parse_back(
    case: tuple[ScaleLabelLayout, str, dict[str, object]],
) -> None:
    layout, label, expected = case
    result = parse_scan(label, BarcodeConfig(variable_measure=(layout,)))
    assert result.kind is ScanKind.VARIABLE_MEASURE
    assert {key: getattr(result, key) for key in expected} == expected
