"""`kiosk demo`: the scripted shopper session, end to end through a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drivers.printer.receipt_reader import read_receipt


def test_demo_prints_the_receipt_and_writes_escpos(tmp_path: Path) -> None:
    out = tmp_path / "receipt.escpos"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--data-dir",
            str(tmp_path / "d"),
            "--escpos-out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "纯牛奶 买三付二" in text  # the multi-buy explained on its line
    assert "脆皮烧肉" in text  # the deli label's line
    assert "0.386kg" in text
    assert "会员" in text
    assert "银行卡" in text  # split tender: card on the ZVT simulator ...
    assert "微信支付" in text  # ... and the rest by WeChat Pay payment code
    assert "134567890123456791" not in text  # the payment code is never shown
    data = out.read_bytes()
    assert data.startswith(b"\x1b@")
    printed = read_receipt(data, "gb18030")
    assert printed.cuts == 1
    assert "合计" in printed.text
    assert "纯牛奶 250ml" in printed.text
    (qr,) = printed.qr_codes
    assert qr.startswith("TX:")
    assert qr[3:] in text


def test_demo_in_english_on_58mm(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "demo",
            "--data-dir",
            str(tmp_path / "d"),
            "--locale",
            "en",
            "--paper",
            "58",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    receipt = result.stdout.split("\n\n", 1)[1]
    assert "Milk 3 for 2" in receipt
    assert "Total" in receipt
