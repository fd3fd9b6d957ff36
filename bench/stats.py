"""The one percentile every benchmark reports (nearest rank, in milliseconds)."""

from __future__ import annotations


def percentile_ms(samples: list[float], q: float) -> float:
    """The `q` quantile (0..1) of `samples` (seconds), in milliseconds, 4 decimals."""
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 4)
