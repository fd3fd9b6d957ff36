"""Wiring: config -> store -> domain (-> drivers -> UI). The only module that knows them all."""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path

from kiosk.checkout import Checkout
from kiosk.config import KioskConfig, demo_config_path, load_config
from kiosk.domain.transaction import Effect, Event, Transaction
from kiosk.errors import KioskError
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.journal import Journal
from kiosk.store.lane_lock import LaneLock
from kiosk.store.promotions_file import PromotionsFile, write_atomically

log = logging.getLogger(__name__)


def local_now() -> datetime:
    """The kiosk's clock: store-local, timezone-aware."""
    return datetime.now().astimezone()


def new_id() -> str:
    return uuid.uuid4().hex


def demo_file(name: str) -> Path:
    return Path(str(resources.files("kiosk") / "data" / name))


def seed_demo_store(data_dir: Path) -> KioskConfig:
    """Create a demo store in `data_dir` (catalogue and promotions) unless it exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = load_config(demo_config_path(), data_dir=data_dir)
    if not config.paths.catalogue.exists():
        import_catalogue(demo_file("demo_catalogue.csv"), config.paths.catalogue)
    promotions = config.paths.promotions
    if promotions is not None and not promotions.exists():
        write_atomically(promotions, demo_file("demo_promotions.json").read_text("utf-8"))
    return config


# CPython collects the young generation every 700 net container allocations; pricing a
# large basket allocates thousands of short-lived objects (freed by reference counting,
# the engine makes no cycles), so a scan ran several pointless collections. Every 10,000
# they are ~15x rarer and hardly bigger: `python -m bench.checkout` repricing a 200-line
# basket went from 4.1 ms median / 4.7 ms p99 to 3.9 / 4.2 (same run, blocks interleaved).
YOUNG_GC_THRESHOLD = 10_000


def settle_heap() -> None:
    """Move everything loaded at start-up out of the garbage collector's way.

    The catalogue, promotions and code loaded at start-up are long-lived; without this,
    every full collection walks them all (~35 ms on a Pi-class CPU with a large
    promotion set), and one landing inside a scan is a visible stall. `gc.freeze()`
    parks them in a permanent generation; collections then see only new objects.
    It also makes young-generation collections rarer (`YOUNG_GC_THRESHOLD`).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


def open_checkout(
    config: KioskConfig,
    *,
    clock: Callable[[], datetime] = local_now,
    ids: Callable[[], str] = new_id,
    on_effect: Callable[[Effect, Transaction], None] | None = None,
    on_commit: Callable[[int, Event, Transaction], None] | None = None,
) -> Checkout:
    """Open the store files named by `config` and restore the open transaction."""
    if not config.paths.catalogue.exists():
        raise KioskError(
            f"{config.source}: catalogue {config.paths.catalogue} does not exist;"
            " import one with `kiosk catalogue import FILE --db PATH`"
        )
    lock = LaneLock.acquire(config.paths.journal)  # one writer per journal
    try:
        catalogue = CatalogueStore.open(config.paths.catalogue)
        journal = Journal.open(config.paths.journal)
    except BaseException:
        lock.release()
        raise
    promotions = PromotionsFile(config.paths.promotions)
    checkout = Checkout(
        config,
        journal,
        catalogue,
        promotions.load(),
        promotions_file=promotions,
        clock=clock,
        new_id=ids,
        on_effect=on_effect,
        on_commit=on_commit,
        on_close=lock.release,
    )
    checkout.restore()
    settle_heap()
    return checkout
