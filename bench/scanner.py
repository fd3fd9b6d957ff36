"""Serial scanner latency: bytes in -> `Scan` event, over a real pty.

`python -m bench.scanner [--quick] [--samples N]` prints one JSON object;
`bench.devices` calls `run(quick=...)` for its combined report.

Each sample writes one whole read (AIM prefix, 13 digits, CR LF) into the pty master
at once and times until the `Scan` is on the driver's queue: that is the driver's
overhead on top of the time the bytes take on the wire. The wire time of the same
frame at 9600 baud (10 bits per character) is reported next to it; the goal is
`scanner_event_p99_ms` <= 1 ms (i.e. at most 1 ms above the wire time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from bench.stats import percentile_ms
from drivers.scanner.serial_scanner import SerialScanner, SerialScannerModel
from drivers.simlink import PtyLink
from drivers.transport import open_transport

BAUDRATE = 9600


def measure(samples: int, *, baudrate: int = BAUDRATE) -> dict[str, Any]:
    """Time `samples` reads through the driver; returns the JSON fields."""
    link = PtyLink("bench-scanner")
    model = SerialScannerModel(inter_byte_timeout_s=0.05)
    scanner = SerialScanner(open_transport(link.url), model=model, duplicate_window_s=0.0)
    latencies: list[float] = []
    lost = 0
    frame_len = 0
    try:
        with scanner:
            deadline = time.monotonic() + 5
            while not scanner.health().connected and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)  # past the driver's just-connected guard window
            for i in range(samples):
                frame = f"]E0{4006381333931 + i:013d}\r\n".encode("ascii")
                frame_len = len(frame)
                start = time.perf_counter()
                link.write(frame)
                scan = scanner.get(2.0)
                elapsed = time.perf_counter() - start
                if scan is None:
                    lost += 1
                    continue
                latencies.append(elapsed)
                time.sleep(0.002)  # reads come apart in real life
            health = scanner.health()
    finally:
        link.close()
    wire_ms = frame_len * 10 / baudrate * 1000
    p99 = percentile_ms(latencies, 0.99) if latencies else None
    return {
        "scanner_event_p50_ms": round(statistics.median(latencies) * 1000, 4)
        if latencies
        else None,
        "scanner_event_p99_ms": p99,
        "scanner_wire_time_ms": round(wire_ms, 3),
        "scanner_total_p99_ms": None if p99 is None else round(wire_ms + p99, 3),
        "scanner_baudrate": baudrate,
        "scanner_samples": len(latencies),
        "scanner_lost": lost,
        "scanner_rejected_frames": health.rejected_frames,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """The benchmark as `bench.devices` runs it."""
    return measure(100 if quick else 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serial scanner bytes-in -> Scan latency")
    parser.add_argument("--quick", action="store_true", help="100 samples (CI smoke)")
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args(argv)
    samples = args.samples or (100 if args.quick else 1000)
    print(json.dumps(measure(samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
