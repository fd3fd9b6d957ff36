"""The camera reader end to end: a generated video file through OpenCV and zxing-cpp."""

from __future__ import annotations

import itertools
import queue
from pathlib import Path

import zxingcpp

from drivers.camera.decode import Roi
from drivers.camera.reader import CameraReader
from drivers.camera.synthetic import (
    Frame,
    barcode_image,
    blank_frame,
    blurred,
    frame_with,
    noise_frame,
    rotated,
    write_video,
)
from drivers.scanner.events import Scan

EAN13 = barcode_image("4006381333931", zxingcpp.BarcodeFormat.EAN13, scale=2)
QR = barcode_image("member:8812345", zxingcpp.BarcodeFormat.QRCode, scale=5)
DATAMATRIX = barcode_image(
    "(01)09501101530003(17)271231(10)LOT7", zxingcpp.BarcodeFormat.DataMatrix, 5, gs1=True
)
DATABAR = barcode_image("0109501101530003", zxingcpp.BarcodeFormat.DataBar, scale=3)


class FrameClocks:
    """Monotonic time advancing one frame period per call (the reader asks once per frame),
    and a wall clock that reads the same instant as epoch seconds."""

    EPOCH = 1_750_000_000.0

    def __init__(self, fps: float = 30.0) -> None:
        self._ticks = itertools.count(0.0, 1.0 / fps)
        self.now = 0.0

    def monotonic(self) -> float:
        self.now = next(self._ticks)
        return self.now

    def wall(self) -> float:
        return self.EPOCH + self.now


def drain(events: queue.Queue[Scan]) -> list[Scan]:
    out: list[Scan] = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


def run_reader(path: Path, **options: object) -> CameraReader:
    clocks = FrameClocks()
    reader = CameraReader(
        path,
        source="cam-test",
        max_fps=None,
        clock=clocks.wall,
        monotonic=clocks.monotonic,
        **options,  # type: ignore[arg-type]
    )
    with reader:
        assert reader.wait_finished(timeout=60)
    return reader


def segment(frame: Frame, count: int) -> list[Frame]:
    return [frame] * count


def test_video_with_four_kinds_of_code_yields_one_scan_each_in_order(tmp_path: Path) -> None:
    frames = (
        segment(blank_frame(), 5)
        + segment(frame_with(EAN13), 10)
        + segment(blank_frame(), 5)
        + segment(frame_with(QR), 10)
        + segment(frame_with(DATAMATRIX), 10)
        + segment(frame_with(DATABAR, x=50), 10)
        + segment(noise_frame(seed=3), 5)
    )
    reader = run_reader(write_video(tmp_path / "codes.avi", frames))
    scans = drain(reader.events)
    assert [(s.data, s.symbology) for s in scans] == [
        ("4006381333931", "]E0"),
        ("member:8812345", "]Q1"),
        ("01095011015300031727123110LOT7", "]d2"),
        ("0109501101530003", "]e0"),
    ]
    assert {s.source for s in scans} == {"cam-test"}
    assert [s.timestamp for s in scans] == sorted(s.timestamp for s in scans)
    health = reader.health()
    assert health.finished
    assert health.frames == len(frames)
    assert health.scans == 4
    assert health.duplicates == 36  # every later frame of each 10-frame segment
    assert health.last_error is None
    assert not health.connected


def test_code_held_in_view_counts_once_and_again_after_leaving_view(tmp_path: Path) -> None:
    frames = (
        segment(frame_with(EAN13), 20)
        + segment(blank_frame(), 60)  # 2 s away at 30 fps, longer than the 1 s window
        + segment(frame_with(EAN13, x=200, y=250), 20)
    )
    reader = run_reader(write_video(tmp_path / "dup.avi", frames), duplicate_window_s=1.0)
    scans = drain(reader.events)
    assert [s.data for s in scans] == ["4006381333931", "4006381333931"]
    assert scans[1].timestamp - scans[0].timestamp > 2.0


def test_blurred_and_rotated_frames_are_read(tmp_path: Path) -> None:
    qr = barcode_image("PAY-28761234567890", zxingcpp.BarcodeFormat.QRCode, scale=4)
    frames = [
        rotated(frame_with(EAN13, x=160, y=150), 90),
        blank_frame(),
        blurred(frame_with(qr), kernel=5),
        blank_frame(),
        rotated(frame_with(DATAMATRIX, x=250, y=150), 30),
    ]
    reader = run_reader(write_video(tmp_path / "hard.avi", frames))
    assert [s.data for s in drain(reader.events)] == [
        "4006381333931",
        "PAY-28761234567890",
        "01095011015300031727123110LOT7",
    ]


def test_frames_without_a_barcode_yield_no_scan(tmp_path: Path) -> None:
    frames = [noise_frame(seed) for seed in range(5)] + segment(blank_frame(), 5)
    reader = run_reader(write_video(tmp_path / "empty.avi", frames))
    assert drain(reader.events) == []
    assert reader.health().frames == 10
    assert reader.health().frames_with_codes == 0


def test_roi_excludes_codes_outside_it(tmp_path: Path) -> None:
    frames = segment(frame_with(EAN13, x=10, y=10), 3) + segment(frame_with(QR, x=450, y=300), 3)
    reader = run_reader(write_video(tmp_path / "roi.avi", frames), roi=Roi(320, 240, 320, 240))
    assert [s.data for s in drain(reader.events)] == ["member:8812345"]


def test_roi_larger_than_the_video_stops_the_reader_with_a_clear_error(tmp_path: Path) -> None:
    path = write_video(tmp_path / "small.avi", segment(frame_with(EAN13), 3))
    reader = run_reader(path, roi=Roi(0, 0, 1280, 720))
    error = reader.health().last_error
    assert error is not None
    assert "does not fit a 640x480 frame" in error


def test_missing_video_file_is_reported_in_health_not_raised(tmp_path: Path) -> None:
    reader = run_reader(tmp_path / "nope.avi")
    health = reader.health()
    assert health.finished is False
    assert health.last_error is not None
    assert "nope.avi" in health.last_error
    assert health.frames == 0


def test_on_scan_callback_receives_the_same_scans_as_the_queue(tmp_path: Path) -> None:
    seen: list[Scan] = []
    path = write_video(tmp_path / "cb.avi", segment(frame_with(QR), 4))
    reader = run_reader(path, on_scan=seen.append)
    assert seen == drain(reader.events)
    assert [s.data for s in seen] == ["member:8812345"]


def test_scans_carry_epoch_timestamps_from_the_wall_clock(tmp_path: Path) -> None:
    path = write_video(tmp_path / "ts.avi", blank_frame_list(3) + segment(frame_with(QR), 2))
    [scan] = drain(run_reader(path).events)
    assert scan.timestamp == FrameClocks.EPOCH + 3 / 30


def test_disabled_reader_drops_and_counts_reads(tmp_path: Path) -> None:
    path = write_video(tmp_path / "off.avi", segment(frame_with(EAN13), 3))
    clocks = FrameClocks()
    shared: queue.Queue[Scan] = queue.Queue()
    reader = CameraReader(
        path, events=shared, max_fps=None, clock=clocks.wall, monotonic=clocks.monotonic
    )
    reader.disable()
    assert not reader.enabled
    with reader:
        assert reader.wait_finished(timeout=60)
    assert reader.get(timeout=0) is None
    assert reader.health().discarded_while_disabled == 1
    assert reader.health().scans == 0
    assert reader.source == str(path)


def test_enabled_reader_delivers_to_a_shared_queue(tmp_path: Path) -> None:
    path = write_video(tmp_path / "on.avi", segment(frame_with(EAN13), 3))
    shared: queue.Queue[Scan] = queue.Queue()
    shared.put(Scan("from-scanner", "]E0", "serial:///dev/ttyACM0", 1.0))
    reader = CameraReader(path, source="camera-1", events=shared, max_fps=None)
    with reader:
        assert reader.wait_finished(timeout=60)
    assert reader.get(timeout=0) == Scan("from-scanner", "]E0", "serial:///dev/ttyACM0", 1.0)
    scan = reader.get(timeout=0)
    assert scan is not None
    assert (scan.data, scan.source) == ("4006381333931", "camera-1")


def blank_frame_list(count: int) -> list[Frame]:
    return segment(blank_frame(), count)
