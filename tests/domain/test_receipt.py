"""Receipt model, layout and plain-text renderer (SPEC section 3 "Receipts")."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.money import Money
from kiosk.domain.receipt import (
    LABELS,
    MIN_COLUMNS,
    Align,
    Paper,
    QrCode,
    ReceiptDiscount,
    ReceiptError,
    ReceiptLine,
    ReceiptMember,
    ReceiptPayment,
    TaxRow,
    TextLine,
    layout,
    render_text,
    text_width,
)
from tests.receipts.builders import (
    EN_LINES,
    TRANSACTION_ID,
    ZH_LINES,
    build_receipt,
    each,
    example_receipt,
    weighed,
    yuan,
)


def columns_of(text: str, *, printer: bool = False) -> int:
    """Independent measure: wide/full-width 2, combining 0, others 1; on a printer
    in Chinese mode every non-ASCII character is a two-column glyph."""
    if printer:
        return sum(1 if ord(c) < 0x80 else 2 for c in text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def lines_of(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def line_ending(lines: list[str], suffix: str) -> int:
    (index,) = [i for i, line in enumerate(lines) if line.endswith(suffix)]
    return index


PAPERS = pytest.mark.parametrize("paper", list(Paper))
LOCALES = pytest.mark.parametrize("locale", ["zh_CN", "en"])


def test_labels_cover_the_same_headings_in_both_locales() -> None:
    assert set(LABELS) == {"zh_CN", "en"}
    assert LABELS["zh_CN"].keys() == LABELS["en"].keys()
    assert LABELS["zh_CN"]["total"] == "合计"
    assert LABELS["en"]["subtotal"] == "Subtotal"


def test_paper_widths_in_columns_and_dots() -> None:
    assert (Paper.MM58.columns, Paper.MM58.dots) == (32, 384)
    assert (Paper.MM80.columns, Paper.MM80.dots) == (48, 576)


def test_full_width_characters_count_two_columns() -> None:
    assert text_width("合计Ａ，a") == 9
    assert text_width("e\u0301") == 1  # combining accent takes no column
    assert text_width("¥é") == 2
    assert text_width("¥é", double_byte_cells=True) == 4


@PAPERS
@LOCALES
def test_no_line_is_wider_than_the_paper(locale: str, paper: Paper) -> None:
    receipt = example_receipt(locale, copy_label="REPRINT")
    for line in lines_of(render_text(receipt, paper.columns)):
        assert columns_of(line) <= paper.columns, line
    for line in lines_of(render_text(receipt, paper.columns, double_byte_cells=True)):
        assert columns_of(line, printer=True) <= paper.columns, line


@PAPERS
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "zh_CN",
            [("小计", "¥38.20"), ("优惠", "-¥5.75"), ("合计", "¥32.45"), ("银联卡", "¥32.45")],
        ),
        ("en", [("Subtotal", "¥38.20"), ("Savings", "-¥5.75"), ("Total", "¥32.45")]),
    ],
)
def test_totals_are_labelled_and_right_aligned(
    locale: str, paper: Paper, expected: list[tuple[str, str]]
) -> None:
    lines = lines_of(render_text(example_receipt(locale), paper.columns))
    for label, amount in expected:
        (line,) = [line for line in lines if line.startswith(label + " ")]
        assert line.endswith(" " + amount)
        assert columns_of(line) == paper.columns


@PAPERS
def test_discounts_print_directly_under_their_line(paper: Paper) -> None:
    lines = lines_of(render_text(example_receipt("zh_CN"), paper.columns))
    cola = line_ending(lines, " 10.50")
    assert lines[cola].startswith("  3 x 3.50 ")
    assert lines[cola + 1].startswith("  第二件半价 ")
    assert lines[cola + 1].endswith(" -1.75")
    bread = line_ending(lines, " 9.90")
    assert lines[bread + 1].startswith("  会员价 ")
    assert lines[bread + 1].endswith(" -1.00")
    assert lines[bread + 2].startswith("满30减3 ")  # basket discount after the lines
    assert lines[bread + 2].endswith(" -3.00")


@PAPERS
@LOCALES
def test_long_names_wrap_without_losing_characters(locale: str, paper: Paper) -> None:
    lines = lines_of(render_text(example_receipt(locale), paper.columns))
    name = (ZH_LINES if locale == "zh_CN" else EN_LINES)[3].name
    start = next(i for i, line in enumerate(lines) if line.startswith(name[:4]))
    end = line_ending(lines, " 9.90")
    pieces = [*lines[start:end], lines[end].removesuffix("9.90").rstrip()]
    joiner = "" if locale == "zh_CN" else " "
    assert joiner.join(pieces) == name
    assert end > start  # it did wrap: the name is wider than the amount column allows


def test_english_names_wrap_at_spaces() -> None:
    lines = lines_of(render_text(example_receipt("en"), 32))
    end = line_ending(lines, " 9.90")
    assert lines[end - 1] == "Wholemeal Toast Bread,"
    assert lines[end].startswith("extra long name that wraps ")


def test_closing_punctuation_stays_with_what_it_closes() -> None:
    receipt = build_receipt("zh_CN", [each("鲜丰（徐汇店）特选红富士苹果大果（约）", "9.90")])
    for columns in range(MIN_COLUMNS, 49):
        for line in lines_of(render_text(receipt, columns)):
            assert not line.strip().startswith(("）", "，", "！")), (columns, line)


def test_weighed_line_shows_weight_and_price_per_kg() -> None:
    lines = lines_of(render_text(build_receipt("en", [weighed("Fuji Apples", "12.80", 1234)]), 32))
    index = lines.index("Fuji Apples")
    assert lines[index + 1] == "  1.234kg x 12.80/kg       15.80"


@PAPERS
def test_store_name_is_centred_and_fits_double_size(paper: Paper) -> None:
    blocks = layout(example_receipt("zh_CN"), paper.columns, double_byte_cells=True)
    header = [b for b in blocks if isinstance(b, TextLine) and b.double]
    assert "".join(b.text for b in header) == "鲜丰超市（徐汇店）"
    for block in header:
        assert block.align is Align.CENTER
        assert columns_of(block.text, printer=True) <= paper.columns // 2


def test_centred_lines_are_padded_to_the_middle() -> None:
    lines = lines_of(render_text(example_receipt("zh_CN"), 48))
    (line,) = [line for line in lines if line.strip() == "上海市徐汇区漕溪北路88号"]
    assert line == " " * 12 + "上海市徐汇区漕溪北路88号"  # (48 - 24) // 2


def test_reprint_is_marked_and_original_is_not() -> None:
    assert lines_of(render_text(example_receipt("zh_CN", copy_label="重印"), 32))[0].strip() == (
        "*** 重印 ***"
    )
    assert "*** 重印 ***" not in render_text(example_receipt("zh_CN"), 32)


def test_header_shows_store_kiosk_transaction_and_time() -> None:
    text = render_text(example_receipt("en"), 48)
    assert "Store S001" in text
    assert "Kiosk K03" in text
    assert f"Transaction                  {TRANSACTION_ID}" in text
    assert "2024-05-01 14:03:22" in text
    assert "Tax ID: 91310104MA1FR0XX1X" in text


def test_member_points_and_payment_details_are_printed() -> None:
    lines = lines_of(render_text(example_receipt("zh_CN"), 32))
    assert "  **** 1234  授权号 123456" in lines
    assert "会员                 *******8000" in lines
    assert "本次积分                     +33" in lines
    assert "积分余额                    1234" in lines


def test_cash_change_is_printed() -> None:
    receipt = build_receipt("zh_CN", ZH_LINES, cash_tendered=yuan("50.00"))
    lines = lines_of(render_text(receipt, 32))
    assert "现金                      ¥50.00" in lines
    assert "找零                      ¥14.55" in lines  # 50.00 - 35.45


def test_tax_breakdown_table_per_rate() -> None:
    lines = lines_of(render_text(example_receipt("en"), 32))
    header = lines.index("Rate              Net  Tax Gross")
    assert lines[header + 1] == "13%             28.72 3.73 32.45"


def test_tax_table_becomes_one_block_per_rate_when_amounts_are_too_wide() -> None:
    receipt = build_receipt("en", [each("Gold bar", "98765432.10")])
    lines = lines_of(render_text(receipt, 32))
    start = lines.index("Rate 13%")
    assert lines[start + 1].startswith("  Net ")
    assert lines[start + 1].endswith(" 87,403,037.26")
    assert lines[start + 3].endswith(" 98,765,432.10")


def test_exclusive_tax_adds_a_tax_line_before_the_total() -> None:
    receipt = build_receipt("en", EN_LINES, tax_included=False)
    assert receipt.total == receipt.subtotal - receipt.savings + receipt.taxes[0].tax
    lines = lines_of(render_text(receipt, 32))
    tax = lines.index("Tax                        ¥4.61")  # 13% of 35.45, half up
    assert lines[tax + 1] == "Total                     ¥40.06"


def test_qr_code_carries_the_returns_payload_and_the_payload_is_printed_under_it() -> None:
    blocks = layout(example_receipt("zh_CN"), 32)
    qr = next(i for i, b in enumerate(blocks) if isinstance(b, QrCode))
    assert blocks[qr] == QrCode(f"TX:{TRANSACTION_ID}")
    assert blocks[qr + 1] == TextLine(f"TX:{TRANSACTION_ID}", Align.CENTER)
    without = replace(example_receipt("zh_CN"), qr_payload=None)
    assert not any(isinstance(b, QrCode) for b in layout(without, 32))


def test_control_characters_in_names_print_as_question_marks() -> None:
    receipt = build_receipt("en", [each("Milk\nBread\x1b[1m", "3.00")])
    lines = lines_of(render_text(receipt, 32))
    assert "Milk?Bread?[1m              3.00" in lines


def test_receipt_that_does_not_add_up_is_rejected() -> None:
    receipt = example_receipt("zh_CN")
    with pytest.raises(ReceiptError, match=rf"{TRANSACTION_ID}.*subtotal is ¥38.30.*¥38.20"):
        replace(receipt, subtotal=yuan("38.30"))
    with pytest.raises(ReceiptError, match=r"total is ¥32.46, the lines add up to ¥32.45"):
        replace(receipt, total=yuan("32.46"))
    with pytest.raises(ReceiptError, match=r"savings"):
        replace(receipt, basket_discounts=())
    with pytest.raises(ReceiptError, match=r"payments - change is ¥0.00"):
        replace(receipt, payments=())


def test_amounts_in_another_currency_are_rejected() -> None:
    receipt = example_receipt("en")
    euro_line = ReceiptLine("Tea", Money(100, "EUR"), Money(100, "EUR"))
    with pytest.raises(ReceiptError, match=r"€1.00 is not in CNY"):
        replace(receipt, lines=(*receipt.lines, euro_line))


def test_unknown_locale_is_rejected() -> None:
    with pytest.raises(ReceiptError, match=r"locale 'de_DE'"):
        replace(example_receipt("en"), locale="de_DE")


def test_unmasked_numbers_are_rejected_without_echoing_them() -> None:
    with pytest.raises(ReceiptError, match=r"member id \*+ shows more than 4 digits") as info:
        ReceiptMember("13800138000", 1)
    assert "138" not in str(info.value)
    with pytest.raises(ReceiptError, match=r"reference"):
        ReceiptPayment("Card", yuan("1.00"), "6222 0212 3456 1234")
    assert ReceiptPayment("Card", yuan("1.00"), "**** 1234").masked_reference == "**** 1234"


def test_inconsistent_parts_are_rejected() -> None:
    with pytest.raises(ReceiptError, match=r"weighed lines need weight_g > 0 and quantity 1"):
        ReceiptLine("Apples", yuan("12.80"), yuan("15.80"), quantity=2, weight_g=1234)
    with pytest.raises(ReceiptError, match=r"quantity 0 is below 1"):
        ReceiptLine("Milk", yuan("3.00"), yuan("0.00"), quantity=0)
    with pytest.raises(ReceiptError, match=r"net ¥1.00 \+ tax ¥0.13 != gross ¥1.12"):
        TaxRow("13%", yuan("1.00"), yuan("0.13"), yuan("1.12"))
    with pytest.raises(ReceiptError, match=r"negative reduction"):
        ReceiptDiscount("oops", yuan("-1.00"))


def test_too_narrow_paper_is_rejected() -> None:
    with pytest.raises(ReceiptError, match=rf"in 20 columns \(min {MIN_COLUMNS}\)"):
        render_text(example_receipt("en"), 20)


names = st.text(st.characters(codec="utf-8"), min_size=0, max_size=60)
amounts = st.integers(min_value=0, max_value=10**11)


@st.composite
def random_lines(draw: st.DrawFn) -> list[ReceiptLine]:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(names)
        unit = Money(draw(amounts), "CNY")
        if draw(st.booleans()):
            weight = draw(st.integers(1, 99_999))
            lines.append(ReceiptLine(name, unit, Money(draw(amounts), "CNY"), weight_g=weight))
            continue
        quantity = draw(st.integers(1, 999))
        off = Money(draw(st.integers(0, unit.minor * quantity)), "CNY")
        discounts = (ReceiptDiscount(draw(names), off),) if draw(st.booleans()) else ()
        lines.append(ReceiptLine(name, unit, unit.times(quantity), quantity, None, discounts))
    return lines


@given(
    lines=random_lines(),
    locale=st.sampled_from(["zh_CN", "en"]),
    columns=st.integers(MIN_COLUMNS, 64),
    footer=st.lists(names, max_size=2),
    store_name=names,
    double_byte_cells=st.booleans(),
)
def test_every_line_fits_the_width_for_any_names_and_amounts(
    *,
    lines: list[ReceiptLine],
    locale: str,
    columns: int,
    footer: list[str],
    store_name: str,
    double_byte_cells: bool,
) -> None:
    receipt = build_receipt(locale, lines, footer=footer)
    receipt = replace(receipt, store=replace(receipt.store, names={locale: store_name}))
    text = render_text(receipt, columns, double_byte_cells=double_byte_cells)
    for line in lines_of(text):
        assert columns_of(line, printer=double_byte_cells) <= columns, line
    # The total is the bold part: its label first, its amount at the end.
    blocks = layout(receipt, columns, double_byte_cells=double_byte_cells)
    bold = [b.text for b in blocks if isinstance(b, TextLine) and b.bold]
    assert bold[0].startswith(LABELS[locale]["total"])
    assert bold[-1].endswith(receipt.total.format(locale))
    for block in blocks:
        if isinstance(block, TextLine) and block.double:
            assert columns_of(block.text, printer=double_byte_cells) <= columns // 2
