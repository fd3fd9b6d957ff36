"""Device driver benchmarks: `python -m bench.devices [--quick]` prints one JSON object.

Measured:
- scanner_event_p99_ms: serial scanner bytes-in -> `Scan` event, p99 (from
  `bench.scanner`, the scanner driver's own benchmark).
- camera_fps: 640x480 BGR frames, each with a barcode (EAN-13, QR, DataMatrix at
  varying places), through `CameraReader.process_frame` (grey conversion, zxing-cpp,
  de-duplication) on one thread with OpenCV limited to one thread. Goal >= 30.
  camera_cpu_cores is process CPU time / wall time over the same run (<= 1 means one core).
- camera_fps_video: the same through the reader's own thread from an MJPG video file
  (adds JPEG decoding by OpenCV), no frame-rate cap.
- printer_status_rtt_ms: one `DLE EOT 1` request -> status byte through
  `ReceiptPrinter.query` against the printer simulator over a pty (p50 and p99), and
  printer_status_rtt_tcp_*: the same over TCP; printer_full_status_p99_ms: the four
  requests `status()` makes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import zxingcpp

from bench.scanner import run as run_scanner_bench
from bench.stats import percentile_ms
from drivers.camera.reader import CameraReader
from drivers.camera.synthetic import Frame, barcode_image, frame_with, write_video
from drivers.printer.escpos_printer import ReceiptPrinter
from drivers.printer.sim import PrinterSimulator, PtyPrinterSimulator, TcpPrinterSimulator


def camera_frames(count: int) -> list[Frame]:
    """Distinct frames, each with one code, placed so the decoder cannot cache a position."""
    codes = [
        barcode_image("4006381333931", zxingcpp.BarcodeFormat.EAN13, scale=2),
        barcode_image("member:8812345", zxingcpp.BarcodeFormat.QRCode, scale=4),
        barcode_image("(01)09501101530003(10)LOT7", zxingcpp.BarcodeFormat.DataMatrix, 4, gs1=True),
    ]
    frames = []
    for i in range(count):
        code = codes[i % len(codes)]
        h, w = code.shape[:2]
        x = 20 + (i * 37) % max(1, 640 - w - 40)
        y = 20 + (i * 53) % max(1, 480 - h - 40)
        frames.append(frame_with(code, x=x, y=y))
    return frames


def bench_camera(seconds: float) -> dict[str, float]:
    cv2.setNumThreads(1)
    frames = camera_frames(30)
    reader = CameraReader(0, max_fps=None, duplicate_window_s=0.0)
    decoded = 0
    processed = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall_start < seconds:
        for frame in frames:
            reader.process_frame(frame)
        processed += len(frames)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    health = reader.health()
    decoded = health.frames_with_codes
    return {
        "camera_fps": round(processed / wall, 1),
        "camera_cpu_cores": round(cpu / wall, 2),
        "camera_decode_rate": round(decoded / processed, 3),
    }


def bench_camera_video(frames: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_video(Path(tmp) / "bench.avi", camera_frames(frames))
        reader = CameraReader(path, max_fps=None, duplicate_window_s=0.0)
        start = time.perf_counter()
        with reader:
            reader.wait_finished(timeout=600)
        wall = time.perf_counter() - start
    return {"camera_fps_video": round(reader.health().frames / wall, 1)}


def _rtt(sim_factory: Callable[[], PrinterSimulator], runs: int) -> tuple[list[float], list[float]]:
    with sim_factory() as sim, ReceiptPrinter(sim.url, status_timeout_s=1.0) as printer:
        printer.query(1)  # connect and warm up
        single = []
        for _ in range(runs):
            start = time.perf_counter()
            printer.query(1)
            single.append(time.perf_counter() - start)
        full = []
        for _ in range(max(10, runs // 4)):
            start = time.perf_counter()
            printer.status()
            full.append(time.perf_counter() - start)
    return single, full


def bench_printer(runs: int) -> dict[str, float]:
    pty_single, pty_full = _rtt(PtyPrinterSimulator, runs)
    tcp_single, _ = _rtt(TcpPrinterSimulator, runs)
    return {
        "printer_status_rtt_ms": round(statistics.median(pty_single) * 1000, 4),
        "printer_status_rtt_p99_ms": percentile_ms(pty_single, 0.99),
        "printer_status_rtt_tcp_ms": round(statistics.median(tcp_single) * 1000, 4),
        "printer_status_rtt_tcp_p99_ms": percentile_ms(tcp_single, 0.99),
        "printer_full_status_p99_ms": percentile_ms(pty_full, 0.99),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer runs (CI smoke)")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    result: dict[str, Any] = {"quick": quick}
    result.update(run_scanner_bench(quick=quick))  # bench/scanner.py, the scanner's own
    result.update(bench_camera(seconds=1.0 if quick else 5.0))
    result.update(bench_camera_video(frames=60 if quick else 300))
    result.update(bench_printer(runs=100 if quick else 1000))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
