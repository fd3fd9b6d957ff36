"""Put a lane together for the demo store: `kiosk run`, the offscreen journey, tests, bench.

`kiosk_lane(config)` puts together the lane a config describes: its attendant list
(DATA_DIR/attendants.toml, scrypt-hashed PINs), its payment methods from `[payment]`
and the devices given (`ManagedDevices` on a kiosk). `demo_lane(data_dir)` seeds the
demo store (catalogue, promotions, demo attendants) and returns its lane, which pays
through the ZVT terminal and QR provider simulators in-process behind the real clients.
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
class KioskLane:
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


def kiosk_lane(
    config: KioskConfig,
    *,
    devices: LaneDevices | None = None,
    on_snapshot: Callable[[LaneSnapshot], None] | None = None,
    settings: LaneSettings | None = None,
    simulate_payments: bool = False,
    monotonic: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    clock: Callable[[], datetime] = local_now,
    ids: Callable[[], str] = new_id,
) -> KioskLane:
    """The lane `config` describes: its attendants (DATA_DIR/attendants.toml), payment
    methods ([payment]) and devices. Call `.lane.start()`; `.close()` once."""
    data_dir = config.paths.data_dir
    attendants = load_attendants(data_dir / ATTENDANTS_FILE)
    attendants.shared = SharedLockout(data_dir / LOCKOUT_FILE, wall)
    payments = KioskPayments.open(
        config.payment,
        data_dir=data_dir,
        currency=config.store.currency,
        simulate=simulate_payments,
    )

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
    return KioskLane(lane, config, payments, lane_devices)


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
) -> KioskLane:
    """A lane on the demo store in `data_dir` (seeded if new). Call `.lane.start()`."""
    config = seed_demo_store(data_dir)
    seed_demo_attendants(data_dir / ATTENDANTS_FILE)
    return kiosk_lane(
        config,
        devices=devices,
        on_snapshot=on_snapshot,
        settings=settings,
        monotonic=monotonic,
        wall=wall,
        clock=clock,
        ids=ids,
    )
