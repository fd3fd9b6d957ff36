"""The promotions file a kiosk prices with: validated, last good kept, re-read between
shoppers when head office or a technician has replaced it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kiosk.domain.pricing import PromotionSet, load_promotions
from kiosk.errors import PromotionError

log = logging.getLogger(__name__)

NO_PROMOTIONS = '{"version": 1, "promotions": []}'


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
        write_atomically(last_good, text)
    return promotions


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class PromotionsFile:
    """The promotions file and the version of it last loaded (by inode, size and mtime)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._loaded: tuple[int, int, int] | None = None

    def _identity(self) -> tuple[int, int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> PromotionSet:
        self._loaded = self._identity()
        return load_promotion_file(self.path)

    def changed(self) -> bool:
        """Replaced (or removed) since the last `load`."""
        return self._identity() != self._loaded
