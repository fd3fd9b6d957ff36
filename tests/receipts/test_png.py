"""PNG receipt preview (SPEC section 3 "Receipts")."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.domain.receipt import Paper
from kiosk.receipts.png import FONT_PACKAGE, PreviewFontMissing, find_font, render_png
from tests.receipts.builders import TRANSACTION_ID, build_receipt, each, example_receipt


def image_of(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("paper", list(Paper))
def test_preview_is_as_wide_as_the_paper_and_its_qr_code_scans(paper: Paper) -> None:
    image = image_of(render_png(example_receipt("zh_CN"), paper))
    assert image.width == paper.dots
    assert image.mode == "L"
    (code,) = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == f"TX:{TRANSACTION_ID}"


def test_each_printed_line_adds_one_line_height() -> None:
    one = build_receipt("zh_CN", [each("牛奶", "3.00")])
    two = build_receipt("zh_CN", [each("牛奶", "3.00"), each("面包", "5.00")])
    heights = [image_of(render_png(r, Paper.MM58)).height for r in (one, two)]
    assert heights[1] - heights[0] == 30  # 24-dot glyphs + 6 dots of line spacing


def test_preview_shows_what_a_gbk_printer_prints() -> None:
    ext_a = build_receipt("zh_CN", [each("䶮字酱油", "12.00")])
    question = replace(ext_a, lines=(each("？字酱油", "12.00"),))
    assert render_png(ext_a, Paper.MM58, "gbk") == render_png(question, Paper.MM58, "gbk")
    assert render_png(ext_a, Paper.MM58, "gb18030") != render_png(question, Paper.MM58, "gb18030")


def test_missing_font_names_the_searched_paths_and_the_package(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-font.ttc"
    with pytest.raises(PreviewFontMissing, match=rf"searched {missing}; install .*{FONT_PACKAGE}"):
        render_png(example_receipt("en"), Paper.MM58, font_path=missing)


def test_an_installed_cjk_font_is_found() -> None:
    assert find_font().is_file()
