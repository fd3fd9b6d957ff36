"""Wiring: config -> store -> domain (-> drivers -> UI). The only module that knows them all."""

from __future__ import annotations

import gc
import logging
import os
import uuid
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path

from kiosk.checkout import Checkout
from kiosk.config import KioskConfig, demo_config_path, load_config
from kiosk.domain.pricing import PromotionSet, load_promotions
from kiosk.domain.transaction import Effect, Event, Transaction
from kiosk.errors import KioskError, PromotionError
from kiosk.store.catalogue import CatalogueStore
from kiosk.store.catalogue_import import import_catalogue
from kiosk.store.journal import Journal
from kiosk.store.lane_lock import LaneLock

log = logging.getLogger(__name__)

NO_PROMOTIONS = '{"version": 1, "promotions": []}'


def local_now() -> datetime:
    """The kiosk's clock: store-local, timezone-aware."""
    return datetime.now().astimezone()


def new_id() -> str:
    return uuid.uuid4().hex


def demo_file(name: str) -> Path:
    return Path(str(resources.files("kiosk") / "data" / name))


def load_promotion_file(path: Path | None) -> PromotionSet:
    """Load promotions, keeping the last good set when the new file fails validation.

    A file that validates is copied to `<name>.last-good`; a file that does not is
    logged with its error and the last good copy is used instead, so a bad push from
    head office never leaves the store without its promotions.
    """
    if path is None:
        return load_promotions(NO_PROMOTIONS, "<none>")
    last_good = path.with_name(path.name + ".last-good")
    try:
        text = path.read_text(encoding="utf-8")
        promotions = load_promotions(text, str(path))
    except (OSError, UnicodeDecodeError, PromotionError) as exc:
        log.error(
            "promotions rejected; keeping the last good set",
            extra={"file": str(path), "error": str(exc), "fallback": str(last_good)},
        )
        if last_good.exists():
            return load_promotions(last_good.read_text(encoding="utf-8"), str(last_good))
        return load_promotions(NO_PROMOTIONS, "<none>")
    if not last_good.exists() or last_good.read_text(encoding="utf-8") != text:
        _write_atomically(last_good, text)
    return promotions


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def seed_demo_store(data_dir: Path) -> KioskConfig:
    """Create a demo store in `data_dir` (catalogue and promotions) unless it exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = load_config(demo_config_path(), data_dir=data_dir)
    if not config.paths.catalogue.exists():
        import_catalogue(demo_file("demo_catalogue.csv"), config.paths.catalogue)
    promotions = config.paths.promotions
    if promotions is not None and not promotions.exists():
        _write_atomically(promotions, demo_file("demo_promotions.json").read_text("utf-8"))
    return config


def settle_heap() -> None:
    """Move everything loaded at start-up out of the garbage collector's way.

    The catalogue, promotions and code loaded at start-up are long-lived; without this,
    every full collection walks them all (~35 ms on a Pi-class CPU with a large
    promotion set), and one landing inside a scan is a visible stall. `gc.freeze()`
    parks them in a permanent generation; collections then see only new objects.
    """
    gc.collect()
    gc.freeze()


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
    checkout = Checkout(
        config,
        journal,
        catalogue,
        load_promotion_file(config.paths.promotions),
        clock=clock,
        new_id=ids,
        on_effect=on_effect,
        on_commit=on_commit,
        on_close=lock.release,
    )
    checkout.restore()
    settle_heap()
    return checkout
