"""What every scale delivers: `Weight` events (produce scale and bagging-area scale alike)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drivers.errors import ScaleStateError
from drivers.transport import TransportHealth


class ScaleStatus(enum.Enum):
    OK = "ok"  # a weight; see `Weight.stable`
    IN_MOTION = "in_motion"  # no weight given because the load is still moving (Toledo)
    OVERLOAD = "overload"  # over capacity (Toledo status bit 1, MT-SICS "S +")
    UNDERLOAD = "underload"  # below the weighing range, e.g. pan removed (MT-SICS "S -")
    UNDER_ZERO = "under_zero"  # gross below zero (Toledo status bit 2)
    ZERO_ERROR = "zero_error"  # outside the zero capture range: re-zero (Toledo bit 3)
    BUSY = "busy"  # command understood but not executable now (MT-SICS "S I")
    ERROR = "error"  # the scale reported an error (MT-SICS ES/ET/EL, odd status)


@dataclass(frozen=True, slots=True)
class Weight:
    """One reading. `grams` is None when the scale gave no number (overload, error...).

    Only a stable reading with status OK may be sold (PROTOCOLS.md "Scales").
    `timestamp` is seconds since the epoch; `source` names the scale.
    """

    grams: int | None
    stable: bool
    status: ScaleStatus
    timestamp: float
    detail: str = ""
    source: str = ""

    @property
    def sellable(self) -> bool:
        """Stable, no error, and not below zero (a negative net weight is never sold)."""
        return (
            self.status is ScaleStatus.OK
            and self.stable
            and self.grams is not None
            and self.grams >= 0
        )

    def same_reading(self, other: Weight | None) -> bool:
        """Equal apart from the time it was taken."""
        return (
            other is not None
            and self.grams == other.grams
            and self.stable == other.stable
            and self.status is other.status
            and self.detail == other.detail
        )

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"weight_g": self.grams, "stable": self.stable}
        if self.status is not ScaleStatus.OK:
            out["status"] = self.status.value
        if self.detail:
            out["detail"] = self.detail
        return out


class ScaleNotStable(ScaleStateError):
    """No stable, sellable weight within the allowed time; carries the last reading."""

    def __init__(self, source: str, last: Weight | None, timeout_s: float) -> None:
        if last is None:
            what = "no reading"
        elif last.status is ScaleStatus.OK:
            what = f"{last.grams} g still in motion"
        else:
            what = last.status.value + (f" ({last.detail})" if last.detail else "")
        super().__init__(f"scale {source}: no stable weight within {timeout_s:g} s: {what}")
        self.last = last


@dataclass(frozen=True, slots=True)
class ScaleHealth:
    """A snapshot of one scale driver; counters only grow."""

    source: str
    running: bool
    connected: bool
    last_error: str | None
    readings: int
    timeouts: int
    garbage_frames: int
    reconnects: int
    last_weight: Weight | None = None
    transport: TransportHealth | None = None
