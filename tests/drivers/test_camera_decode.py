"""Camera frame decoding: zxing-cpp results, symbology identifiers, ROI, de-duplication."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp

from drivers.camera.decode import Deduplicator, FrameDecoder, Roi
from drivers.camera.errors import CameraConfigError
from drivers.camera.reader import CameraReader, parse_source
from drivers.camera.synthetic import (
    barcode_image,
    blank_frame,
    blurred,
    frame_with,
    noise_frame,
    rotated,
)

EAN13 = barcode_image("4006381333931", zxingcpp.BarcodeFormat.EAN13, scale=2)


@pytest.mark.parametrize(
    ("content", "fmt", "gs1", "text", "symbology"),
    [
        ("4006381333931", zxingcpp.BarcodeFormat.EAN13, False, "4006381333931", "]E0"),
        ("96385074", zxingcpp.BarcodeFormat.EAN8, False, "96385074", "]E4"),
        ("036000291452", zxingcpp.BarcodeFormat.UPCA, False, "0036000291452", "]E0"),
        ("member:8812345", zxingcpp.BarcodeFormat.QRCode, False, "member:8812345", "]Q1"),
        ("付款码 134567890123456789", zxingcpp.BarcodeFormat.QRCode, False, None, "]Q1"),
        ("dm-123", zxingcpp.BarcodeFormat.DataMatrix, False, "dm-123", "]d1"),
        (
            "(01)09501101530003(10)AB(21)X",
            zxingcpp.BarcodeFormat.DataMatrix,
            True,
            "010950110153000310AB\x1d21X",
            "]d2",
        ),
        ("0109501101530003", zxingcpp.BarcodeFormat.DataBar, False, "0109501101530003", "]e0"),
    ],
)
def test_decoder_reads_retail_and_phone_codes_with_aim_symbology(
    content: str,
    fmt: zxingcpp.BarcodeFormat,
    gs1: bool,
    text: str | None,
    symbology: str,
) -> None:
    frame = frame_with(barcode_image(content, fmt, gs1=gs1))
    [decoded] = FrameDecoder().decode(frame)
    assert decoded.text == (content if text is None else text)
    assert decoded.symbology == symbology


def test_decoder_ignores_formats_it_was_not_asked_for() -> None:
    frame = frame_with(barcode_image("ABC-123", zxingcpp.BarcodeFormat.Code128))
    assert FrameDecoder().decode(frame) == []
    [decoded] = FrameDecoder([zxingcpp.BarcodeFormat.Code128]).decode(frame)
    assert (decoded.text, decoded.symbology) == ("ABC-123", "]C0")


def test_decoder_finds_nothing_in_blank_or_noise_frames() -> None:
    decoder = FrameDecoder()
    assert decoder.decode(blank_frame()) == []
    assert decoder.decode(noise_frame(seed=7)) == []


@pytest.mark.parametrize("degrees", [90.0, 12.0, -20.0])
def test_decoder_reads_rotated_codes(degrees: float) -> None:
    frame = rotated(frame_with(EAN13, x=160, y=150), degrees)
    assert [d.text for d in FrameDecoder().decode(frame)] == ["4006381333931"]


def test_decoder_reads_a_slightly_blurred_code() -> None:
    qr = barcode_image("https://id.gs1.org/01/09501101530003", zxingcpp.BarcodeFormat.QRCode, 4)
    frame = blurred(frame_with(qr), kernel=5)
    assert [d.text for d in FrameDecoder().decode(frame)] == [
        "https://id.gs1.org/01/09501101530003"
    ]


def test_roi_limits_decoding_to_its_rectangle() -> None:
    frame = frame_with(EAN13, x=20, y=20)
    assert FrameDecoder(roi=Roi(320, 0, 320, 480)).decode(frame) == []
    assert len(FrameDecoder(roi=Roi(0, 0, 400, 300)).decode(frame)) == 1


def test_roi_that_leaves_the_frame_is_a_config_error_naming_both_sizes() -> None:
    with pytest.raises(CameraConfigError, match="does not fit a 640x480 frame"):
        FrameDecoder(roi=Roi(600, 0, 100, 100)).decode(blank_frame())


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "0,0,0,10", "-1,0,5,5"])
def test_roi_parse_rejects_malformed_text(text: str) -> None:
    with pytest.raises(CameraConfigError, match="region of interest"):
        Roi.parse(text)


def test_roi_parse_reads_x_y_width_height() -> None:
    assert Roi.parse("10, 20,300,200") == Roi(10, 20, 300, 200)


def test_deduplicator_counts_a_code_once_while_it_stays_in_view() -> None:
    dedup = Deduplicator(window_s=1.0)
    key = ("4006381333931", "]E0")
    admitted = [dedup.admit(key, t / 30) for t in range(90)]  # 3 s in view at 30 fps
    assert admitted.count(True) == 1
    assert dedup.admit(key, 90 / 30 + 1.5)  # out of view longer than the window: new read
    assert dedup.admit(("96385074", "]E4"), 4.6)  # another code is never a duplicate


def test_deduplicator_rejects_negative_window() -> None:
    with pytest.raises(CameraConfigError):
        Deduplicator(window_s=-1)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (0, 0),
        ("2", 2),
        ("camera:1", 1),
        ("file:///tmp/x.avi", Path("/tmp/x.avi")),
        ("/dev/video0", Path("/dev/video0")),
    ],
)
def test_parse_source_accepts_index_url_and_path(source: int | str, expected: object) -> None:
    assert parse_source(source) == expected


@pytest.mark.parametrize("source", [-1, "camera:x", ""])
def test_parse_source_rejects_bad_sources(source: int | str) -> None:
    with pytest.raises(CameraConfigError):
        parse_source(source)


def test_frame_budget_sleeps_to_the_cap_and_the_cpu_share() -> None:
    capped = CameraReader(0, max_fps=10.0)
    assert capped._pause_after(0.02) == pytest.approx(0.08)
    assert capped._pause_after(0.2) == 0.0  # slower than the cap: no extra sleep
    half_core = CameraReader(0, max_fps=None, cpu_share=0.5)
    assert half_core._pause_after(0.05) == pytest.approx(0.05)


@pytest.mark.parametrize(("max_fps", "cpu_share"), [(0.0, 1.0), (30.0, 0.0), (30.0, 1.5)])
def test_reader_rejects_an_impossible_budget(max_fps: float, cpu_share: float) -> None:
    with pytest.raises(CameraConfigError):
        CameraReader(0, max_fps=max_fps, cpu_share=cpu_share)
