"""Scales (produce and bagging area): Toledo 8217 and MT-SICS, one `Weight` interface."""

from drivers.scale.driver import DRIVERS, Scale, SicsScale, Toledo8217Scale, open_scale
from drivers.scale.events import ScaleHealth, ScaleNotStable, ScaleStatus, Weight

__all__ = [
    "DRIVERS",
    "Scale",
    "ScaleHealth",
    "ScaleNotStable",
    "ScaleStatus",
    "SicsScale",
    "Toledo8217Scale",
    "Weight",
    "open_scale",
]
