"""Put a lane together for the demo store: `kiosk run`, the offscreen journey, tests, bench.

`demo_lane(data_dir)` seeds the demo store (catalogue, promotions) and its demo
attendants, opens its payment methods from `[payment]` (the demo store's: the ZVT
terminal and QR provider simulators, in-process, behind the real clients) and returns
a started-on-request `DemoLane`. A store kiosk wires the same `Lane` with its own
config, attendant list, payment providers and `ManagedDevices`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiosk.app import local_now, new_id, open_checkout, seed_demo_store
from kiosk.checkout import Checkout
from kiosk.config import KioskConfig
from kiosk.lane import EffectHook, Lane
from kiosk.lane_devices import LaneDevices, MemoryDevices
from kiosk.lane_flow import LaneSettings
from kiosk.lane_view import LaneSnapshot
from kiosk.payment.kiosk_payments import KioskPayments
from kiosk.security.attendants import load_attendants, seed_demo_attendants
from kiosk.security.lockout_state import SharedLockout

ATTENDANTS_FILE = "attendants.toml"
LOCKOUT_FILE = "pin-lockout.json"  # the PIN pad's failure count, shared with `kiosk refund`


@dataclass(slots=True)
class DemoLane:
    lane: Lane
    config: KioskConfig
    payments: KioskPayments
    devices: LaneDevices
    closed: bool = field(default=False)

    def close(self) -> None:
        """Stop the lane, then the payment clients (and simulators); idempotent."""
        if self.closed:
            return
        self.closed = True
        self.lane.stop()
        self.payments.close()


def demo_lane(
    data_dir: Path,
    *,
    devices: LaneDevices | None = None,
    on_snapshot: Callable[[LaneSnapshot], None] | None = None,
    settings: LaneSettings | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    clock: Callable[[], datetime] = local_now,
    ids: Callable[[], str] = new_id,
) -> DemoLane:
    """A lane on the demo store in `data_dir` (seeded if new). Call `.lane.start()`."""
    config = seed_demo_store(data_dir)
    attendants = load_attendants(seed_demo_attendants(data_dir / ATTENDANTS_FILE))
    attendants.shared = SharedLockout(data_dir / LOCKOUT_FILE, wall)
    payments = KioskPayments.open(config.payment, data_dir=data_dir, currency=config.store.currency)

    def opener(hook: EffectHook) -> Checkout:
        return open_checkout(config, clock=clock, ids=ids, on_effect=hook)

    lane_devices = devices or MemoryDevices()
    lane = Lane(
        opener,
        attendants=attendants,
        payments=payments,
        devices=lane_devices,
        on_snapshot=on_snapshot,
        settings=settings,
        monotonic=monotonic,
        new_id=ids,
    )
    return DemoLane(lane, config, payments, lane_devices)
