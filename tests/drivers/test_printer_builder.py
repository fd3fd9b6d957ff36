"""Receipt bytes from the builder, read back with the receipt reader."""

from __future__ import annotations

import pytest
from PIL import Image

from drivers.printer.builder import ReceiptBuilder
from drivers.printer.errors import PrinterError
from drivers.printer.receipt_reader import read_receipt


def test_builder_output_reads_back_as_text_codes_logo_and_cut() -> None:
    logo = Image.new("1", (64, 16), 0)
    data = (
        ReceiptBuilder()
        .logo(logo)
        .style(align="center", bold=True)
        .line("超市 Supermarket")
        .style()
        .line("牛奶 Milk 1L   ¥12.50")
        .ean13("6901234567892")
        .qr("member:8812345")
        .cut(partial=True)
        .to_bytes()
    )
    assert data.startswith(b"\x1b@")  # ESC @ initialise
    receipt = read_receipt(data)
    assert receipt.text == "超市 Supermarket\n牛奶 Milk 1L   ￥12.50\n"
    assert receipt.barcodes == [(2, "6901234567892")]
    assert receipt.qr_codes == ["member:8812345"]
    assert receipt.images == 1
    assert receipt.cuts == 1


def test_han_text_is_framed_by_fs_and_fs_dot() -> None:
    data = ReceiptBuilder(codec="gbk").text("价 A").to_bytes()
    assert data.endswith(b"\x1c&" + "价".encode("gbk") + b"\x1c. A")


@pytest.mark.parametrize("code", ["123", "12345678901234", "69012345678x"])
def test_ean13_needs_12_or_13_digits(code: str) -> None:
    with pytest.raises(PrinterError, match="EAN-13"):
        ReceiptBuilder().ean13(code)


def test_empty_qr_code_is_refused() -> None:
    with pytest.raises(PrinterError, match="QR code content is empty"):
        ReceiptBuilder().qr("")


def test_reader_rejects_an_unknown_command_with_its_offset() -> None:
    with pytest.raises(PrinterError, match=r"unknown ESC/POS command 1b 7a at offset 3"):
        read_receipt(b"abc\x1bz")


def test_reader_rejects_a_command_cut_short() -> None:
    with pytest.raises(PrinterError, match="cut short"):
        read_receipt(b"\x1d(k\x10\x001P0abc")
