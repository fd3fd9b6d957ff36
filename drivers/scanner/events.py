"""What every scanner delivers: `Scan` events, plus health snapshots and duplicate suppression."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.transport import TransportHealth


@dataclass(frozen=True, slots=True)
class Scan:
    """One barcode read.

    `data` is the decoded text with GS (0x1D, FNC1) kept as "\\x1d"; `symbology` is the
    AIM identifier (e.g. "]E0") when the scanner sent one, else None; `source` names the
    scanner (its URL or configured name); `timestamp` is seconds since the epoch.
    """

    data: str
    symbology: str | None
    source: str
    timestamp: float


@dataclass(frozen=True, slots=True)
class ScannerHealth:
    """A snapshot of one scanner's reader; counters only grow."""

    source: str
    running: bool
    connected: bool
    enabled: bool
    last_error: str | None
    scans: int
    rejected_frames: int  # junk, overflow, bad AIM prefix: never delivered
    partial_frames_dropped: int  # cut off by the inter-byte/inter-key timeout or a disconnect
    duplicates_suppressed: int
    discarded_while_disabled: int
    reconnects: int
    transport: TransportHealth | None = None


class DuplicateFilter:
    """Drops a read that repeats the last accepted data from the same source within a window.

    Pure: the caller passes monotonic time. The window counts from the last *accepted*
    read, so a shopper deliberately scanning three identical yoghurts a second apart gets
    three lines, while a scanner that double-reads one label within the window gets one.
    """

    def __init__(self, window_s: float) -> None:
        if window_s < 0:
            raise ValueError(f"duplicate window must be >= 0 s, got {window_s}")
        self.window_s = window_s
        self._last: dict[str, tuple[str, float]] = {}

    def accept(self, source: str, data: str, now: float) -> bool:
        """True if this read should be delivered; records it when it is."""
        last = self._last.get(source)
        if last is not None and last[0] == data and 0 <= now - last[1] < self.window_s:
            return False
        self._last[source] = (data, now)
        return True
