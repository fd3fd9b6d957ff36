"""Device health as the kiosk shows it: one `DeviceHealth` per role, built from the
drivers' own snapshots (scanner, camera, scale, printer health) by pure functions.

The device manager (`kiosk.device_manager`) calls these; `kiosk devices` prints them
and the UI reads them (Home Assistant's coordinator/entity split, STYLE.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drivers.printer.escpos_printer import PrinterHealth
from drivers.printer.status import NotReady, Readiness
from drivers.scale import ScaleHealth, ScaleStatus, Weight
from drivers.scanner import ScannerHealth

if TYPE_CHECKING:  # OpenCV is the optional `camera` extra
    from drivers.camera import CameraHealth


class DeviceState(enum.StrEnum):
    STOPPED = "stopped"  # not started yet, stopped, or a video file played to its end
    STARTING = "starting"  # the manager has not opened the driver yet
    RUNNING = "running"  # the driver runs (see `connected` for the device itself)
    FAILED = "failed"  # the driver could not be opened or its thread died: see last_error


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """One device's state, as `kiosk devices` shows it and the UI reads it.

    `connected`: the device answers (scanner/camera: its link is up; scale: it answers
    requests; printer: it answers status requests). `fault`: a condition the device
    reports that stops it being used (printer not ready, scale overload), or None.
    `counters` only grow while the manager runs.
    """

    role: str
    driver: str
    url: str
    simulated: bool
    state: DeviceState
    connected: bool
    last_error: str | None
    fault: str | None = None
    detail: str = ""
    counters: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "role": self.role,
            "driver": self.driver,
            "url": self.url,
            "simulated": self.simulated,
            "state": self.state.value,
            "connected": self.connected,
            "fault": self.fault,
            "last_error": self.last_error,
            "detail": self.detail,
            "counters": dict(self.counters),
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """What a driver's health says, before the manager adds role, driver and URL."""

    state: DeviceState
    connected: bool
    last_error: str | None
    fault: str | None
    detail: str
    counters: dict[str, int]


def printer_reading(health: PrinterHealth, answer: Readiness | None) -> Reading:
    """The printer's health plus its last ready check (asked by the manager's thread)."""
    connected = health.connected
    fault: str | None = None
    if answer is None:
        detail = "status not asked yet"
    elif answer.ok:
        detail = "; ".join(("ready", *answer.warnings))
    else:
        reason = answer.reason.value if answer.reason else "not ready"
        fault = f"{reason}: {answer.detail}"
        detail = f"not ready ({fault})"
        connected = connected and answer.reason is not NotReady.NO_ANSWER
    if health.jobs_pending:
        detail += f"; {health.jobs_pending} job(s) waiting, {health.jobs_stuck} stuck"
    counters = {
        "jobs_printed": health.jobs_printed,
        "jobs_pending": health.jobs_pending,
        "jobs_stuck": health.jobs_stuck,
        "print_failures": health.print_failures,
        "status_queries": health.status_queries,
        "no_answers": health.no_answers,
        "invalid_answers": health.invalid_answers,
        "reconnects": health.reconnects,
        "bytes_out": health.bytes_out,
    }
    return Reading(DeviceState.RUNNING, connected, health.last_error, fault, detail, counters)


def scanner_reading(health: ScannerHealth) -> Reading:
    counters = {
        "scans": health.scans,
        "rejected_frames": health.rejected_frames,
        "partial_frames_dropped": health.partial_frames_dropped,
        "duplicates_suppressed": health.duplicates_suppressed,
        "discarded_while_disabled": health.discarded_while_disabled,
        "reconnects": health.reconnects,
    }
    if health.transport is not None:
        counters["bytes_in"] = health.transport.bytes_in
        counters["bytes_out"] = health.transport.bytes_out
    detail = f"{health.scans} scan(s)" + ("" if health.enabled else "; disabled")
    state = DeviceState.RUNNING if health.running else DeviceState.FAILED
    return Reading(state, health.connected, health.last_error, None, detail, counters)


def camera_reading(health: CameraHealth) -> Reading:
    counters = {
        "frames": health.frames,
        "frames_with_codes": health.frames_with_codes,
        "scans": health.scans,
        "duplicates": health.duplicates,
        "reopens": health.reopens,
        "discarded_while_disabled": health.discarded_while_disabled,
    }
    detail = f"{health.scans} scan(s) in {health.frames} frame(s)"
    if health.finished:
        detail += "; video ended"
        state = DeviceState.STOPPED if health.last_error is None else DeviceState.FAILED
    else:
        state = DeviceState.RUNNING
    return Reading(state, health.connected, health.last_error, None, detail, counters)


_SCALE_FAULTS = frozenset(
    {ScaleStatus.OVERLOAD, ScaleStatus.UNDERLOAD, ScaleStatus.ZERO_ERROR, ScaleStatus.ERROR}
)


def describe_weight(weight: Weight | None) -> str:
    """A reading as a technician reads it: "1250 g, stable", "overload", "no reading"."""
    if weight is None:
        return "no reading yet"
    if weight.status is ScaleStatus.OK and weight.grams is not None:
        return f"{weight.grams} g, " + ("stable" if weight.stable else "in motion")
    return weight.status.value.replace("_", " ") + (f" ({weight.detail})" if weight.detail else "")


def scale_reading(health: ScaleHealth) -> Reading:
    counters = {
        "readings": health.readings,
        "timeouts": health.timeouts,
        "garbage_frames": health.garbage_frames,
        "reconnects": health.reconnects,
    }
    if health.transport is not None:
        counters["bytes_in"] = health.transport.bytes_in
        counters["bytes_out"] = health.transport.bytes_out
    last = health.last_weight
    fault = None
    if health.connected and last is not None and last.status in _SCALE_FAULTS:
        fault = describe_weight(last)
    state = DeviceState.RUNNING if health.running else DeviceState.FAILED
    detail = describe_weight(last) if health.connected else "not answering"
    return Reading(state, health.connected, health.last_error, fault, detail, counters)
