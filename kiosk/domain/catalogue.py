"""The catalogue model (SPEC section 3): what an item is, independent of storage."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kiosk.errors import CatalogueError

LOCALES = ("zh_CN", "en")


class Unit(enum.Enum):
    """How an item is sold: by the piece or by weight (price per kg)."""

    EACH = "each"
    KG = "kg"


class AgeLimit(enum.IntEnum):
    NONE = 0
    SIXTEEN = 16
    EIGHTEEN = 18


@dataclass(frozen=True, slots=True)
class Item:
    """One sellable item. `price_minor` is per piece, or per kg when `unit` is KG."""

    item_id: str
    names: dict[str, str]
    price_minor: int
    currency: str
    tax_class: str
    unit: Unit
    department: str
    gtins: tuple[str, ...] = ()
    plu: str | None = None
    age_limit: AgeLimit = AgeLimit.NONE
    # Bagging-area expectation: None means "no weigh" (e.g. bulky or very light items).
    expected_weight_g: int | None = None
    weight_tolerance_g: int | None = None
    member_price_minor: int | None = None
    image: str | None = None
    active: bool = True
    tags: tuple[str, ...] = field(default=())

    def name(self, locale: str) -> str:
        """The item's name in `locale`, falling back to any name it has."""
        if locale in self.names:
            return self.names[locale]
        for fallback in LOCALES:
            if fallback in self.names:
                return self.names[fallback]
        return self.item_id


def gtin14(code: str) -> str:
    """Zero-pad a GTIN-8/12/13/14 to the 14-digit form used as the lookup key."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise CatalogueError(f"not a GTIN (8, 12, 13 or 14 digits): {code!r}")
    return code.zfill(14)
