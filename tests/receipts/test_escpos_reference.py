"""`render_escpos` writes the same job as the python-escpos `Dummy` calls it replaced.

The receipt path builds its commands without python-escpos (drivers.printer.commands,
to keep ~9.5 MB of resident memory out of the kiosk); `_reference` below is the former
python-escpos implementation, kept as the reference the bytes must equal.
"""

from __future__ import annotations

import pytest
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from drivers.printer.cjk import CODECS, Codec, encode_text
from kiosk.domain.receipt import Align, Paper, QrCode, Receipt, layout
from kiosk.receipts.escpos import QR_MODULE_DOTS, render_escpos
from tests.receipts.builders import build_receipt, each, example_receipt, weighed, yuan


def _reference(receipt: Receipt, paper: Paper, codec: Codec) -> bytes:
    printer = Dummy()
    printer.hw("INIT")
    align, bold, double = Align.LEFT, False, False
    for block in layout(receipt, paper.columns, double_byte_cells=True):
        want = (Align.CENTER, False, False)
        if not isinstance(block, QrCode):
            want = (block.align, block.bold, block.double)
        if want[0] is not align:
            printer.set(align=want[0].value)
        if want[1] is not bold:
            printer.set(bold=want[1])
        if want[2] is not double:
            size = 2 if want[2] else 1
            printer.set(custom_size=True, width=size, height=size)
        align, bold, double = want
        if isinstance(block, QrCode):
            printer.print_and_feed(1)
            printer.qr(block.payload, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS[paper], native=True)
            printer.print_and_feed(1)
        else:
            printer._raw(encode_text(block.text + "\n", codec))
    printer.cut(feed=False)
    data: bytes = printer.output
    return data


def _receipts() -> list[Receipt]:
    return [
        example_receipt("zh_CN"),
        example_receipt("en"),
        example_receipt("zh_CN", copy_label="重印"),
        build_receipt(
            "zh_CN",
            [each("可口可乐（罐装）330ml，冰镇！", "3.50", 2), weighed("苹果", "12.80", 1234)],
            footer=["谢谢惠顾 ¥ € ✓"],
            cash_tendered=yuan("100.00"),
        ),
        build_receipt("en", [each("Milk", "6.00", 1, ("Member price", "0.50"))]),
    ]


@pytest.mark.parametrize("paper", list(Paper))
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("index", range(len(_receipts())))
def test_receipt_bytes_equal_the_python_escpos_reference(
    paper: Paper, codec: Codec, index: int
) -> None:
    receipt = _receipts()[index]
    assert render_escpos(receipt, paper, codec) == _reference(receipt, paper, codec)
