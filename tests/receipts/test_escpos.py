"""ESC/POS receipt bytes, read back command by command (PROTOCOLS.md "Receipt printer")."""

from __future__ import annotations

import logging

import pytest

from drivers.printer.cjk import CODECS, Codec
from kiosk.domain.receipt import Paper, ReceiptError, render_text
from kiosk.receipts.escpos import QR_MODULE_DOTS, render_escpos
from tests.receipts.builders import TRANSACTION_ID, build_receipt, each, example_receipt
from tests.receipts.escpos_stream import read_job

PAPERS = pytest.mark.parametrize("paper", list(Paper))
CODEC = pytest.mark.parametrize("codec", CODECS)


def printer_columns(text: str) -> int:
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


def test_job_starts_with_esc_at_and_ends_with_feed_and_cut() -> None:
    data = render_escpos(example_receipt("zh_CN"), Paper.MM58)
    assert data.startswith(b"\x1b@")
    assert data.endswith(b"\x1dV\x42\x00")  # GS V 66 0
    assert read_job(data, "gb18030").commands[-1] == b"\x1dV\x42\x00"


@PAPERS
def test_qr_code_stores_and_prints_the_returns_payload(paper: Paper) -> None:
    job = read_job(render_escpos(example_receipt("en"), paper), "gb18030")
    assert job.qr_payloads == [f"TX:{TRANSACTION_ID}".encode()]
    qr = [c for c in job.commands if c.startswith(b"\x1d(k")]
    assert qr[0] == b"\x1d(k\x04\x001A2\x00"  # fn 65: model 2
    assert qr[1] == b"\x1d(k\x03\x001C" + bytes([QR_MODULE_DOTS[paper]])  # fn 67: module size
    assert qr[-1] == b"\x1d(k\x03\x001Q0"  # fn 81: print the stored symbol
    before = job.commands[: job.commands.index(qr[0])]
    assert before[-2:] == [b"\x1ba\x01", b"\x1bd\x01"]  # centred, after a blank line
    assert job.commands[job.commands.index(qr[-1]) + 1] == b"\x1bd\x01"  # quiet zone below


@PAPERS
@CODEC
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_printed_text_reads_back_as_the_text_renderer_lines(
    paper: Paper, codec: Codec, locale: str
) -> None:
    receipt = example_receipt(locale, copy_label="重印")
    job = read_job(render_escpos(receipt, paper, codec), codec)
    # The printer is laid out in printer cells, and cjk prints ¥ as ￥ (PROTOCOLS.md).
    text = render_text(receipt, paper.columns, double_byte_cells=True).replace("¥", "￥")
    expected = text.removesuffix("\n").split("\n")
    assert len(job.lines) == len(expected)
    for printed, line in zip(job.lines, expected, strict=True):
        # Centred lines are sent unpadded (ESC a 1 centres them); others as they are.
        assert printed.text == (line.lstrip(" ") if printed.align == 1 else line)
        width = paper.columns // 2 if printed.size == 0x11 else paper.columns
        assert printer_columns(printed.text) <= width


def test_store_name_is_double_size_and_centred_and_total_is_bold() -> None:
    job = read_job(render_escpos(example_receipt("zh_CN"), Paper.MM80), "gb18030")
    name = [line for line in job.lines if line.size == 0x11]  # GS ! 0x11: double w and h
    assert [(line.text, line.align) for line in name] == [("鲜丰超市（徐汇店）", 1)]
    bold = [line.text for line in job.lines if line.bold]
    assert len(bold) == 1
    assert bold[0].startswith("合计 ")
    assert bold[0].endswith(" ￥32.45")


@CODEC
def test_chinese_punctuation_is_sent_as_gbk_codes_not_question_marks(codec: Codec) -> None:
    data = render_escpos(example_receipt("zh_CN"), Paper.MM58, codec)
    assert "（罐装）330ml，冰镇！".encode("gbk") in data.replace(b"\x1c\x2e", b"").replace(
        b"\x1c\x26", b""
    )
    assert b"\x81\x30\x84\x36" not in data  # the 4-byte GB18030 ¥ GBK printers cannot show
    assert b"\xa3\xa4" in data  # ￥


def test_gbk_printer_gets_a_logged_question_mark_where_gb18030_prints_extension_a(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receipt = build_receipt("zh_CN", [each("䶮字酱油", "12.00")])
    gb18030 = read_job(render_escpos(receipt, Paper.MM58, "gb18030"), "gb18030")
    assert any(line.text.startswith("䶮字酱油 ") for line in gb18030.lines)
    with caplog.at_level(logging.WARNING, logger="kiosk.receipts.escpos"):
        gbk = read_job(render_escpos(receipt, Paper.MM58, "gbk"), "gbk")
    # ？ is as wide as 䶮: the amount stays right-aligned.
    assert [line.text for line in gbk.lines if line.text.startswith("？字酱油 ")] == [
        "？字酱油" + " " * 19 + "12.00"
    ]
    (record,) = caplog.records
    assert record.transaction_id == TRANSACTION_ID  # type: ignore[attr-defined]
    assert record.unencodable == ["'䶮' (U+4DAE)"]  # type: ignore[attr-defined]


def test_unknown_codec_is_rejected_naming_the_transaction() -> None:
    with pytest.raises(ReceiptError, match=rf"{TRANSACTION_ID}.*'big5'.*gbk, gb18030"):
        render_escpos(example_receipt("zh_CN"), Paper.MM58, "big5")
