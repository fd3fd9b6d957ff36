"""Basket lines validated and reduced to what pricing reads (step 1 of docs/promotions.md,
"How a basket is priced": each line's base amount)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing.allocation import round_ratio
from kiosk.domain.pricing.model import BasketLine, PricingContext, PricingError

_EACH, _KG = Unit.EACH, Unit.KG


class PreparedLine:
    """A validated basket line with its base amount (before any discount).

    Read-only once built. A plain slotted class rather than a dataclass: pricing builds
    one per line on every scan, and this is the cheapest object Python builds.
    """

    __slots__ = (
        "base",
        "countable",
        "index",
        "item",
        "label_priced",
        "line_id",
        "quantity",
        "unit_price",
        "weighed",
        "weight_g",
    )

    def __init__(  # noqa: PLR0917 - built per line per scan: positional is cheapest
        self,
        index: int,
        line_id: str,
        item: Item,
        quantity: int,
        weight_g: int | None,
        label_priced: bool,
        unit_price: int,  # per piece, or per kg for weighed items
        base: int,
    ) -> None:
        self.index = index
        self.line_id = line_id
        self.item = item
        self.quantity = quantity
        self.weight_g = weight_g
        self.label_priced = label_priced
        self.unit_price = unit_price
        self.base = base
        unit = item.unit
        self.weighed = unit is _KG and not label_priced
        # Whether its pieces join multi-buys and mix & match.
        self.countable = unit is _EACH and not label_priced

    def amount_at(self, price: int, rounding: Rounding) -> int:
        """The line's amount at `price` per piece or per kg (weight rounded once)."""
        if self.weighed:
            assert self.weight_g is not None
            return round_ratio(self.weight_g * price, 1000, rounding)
        return price * self.quantity


def prepare(lines: Sequence[BasketLine], ctx: PricingContext) -> list[PreparedLine]:
    """The lines with their base amounts; `PricingError` for a line that cannot be
    priced (another currency, a tax class without a rate, a weighed item without
    weight, a negative price or quantity) or for two lines with the same id."""
    currency, rates, rounding = ctx.currency, ctx.tax_rates, ctx.rounding
    prepared = []
    for index, line in enumerate(lines):
        item = line.item
        quantity = line.quantity
        price = item.price_minor
        label = line.label_price_minor
        if (
            item.currency != currency
            or item.tax_class not in rates
            or quantity < 1
            or price < 0
            or (label is not None and label < 0)
        ):
            _refuse(line, ctx)
        if label is not None:
            base = label * quantity
        elif item.unit is _KG:
            weight = line.weight_g
            if weight is None or weight <= 0 or quantity != 1:
                _refuse(line, ctx)
            base = round_ratio(weight * price, 1000, rounding)
        else:
            base = price * quantity
        prepared.append(
            PreparedLine(
                index, line.line_id, item, quantity, line.weight_g, label is not None, price, base
            )
        )
    if len({p.line_id for p in prepared}) != len(prepared):
        raise PricingError("basket has two lines with the same line_id")
    return prepared


def _refuse(line: BasketLine, ctx: PricingContext) -> NoReturn:
    """Raise the `PricingError` naming what makes `line` impossible to price."""
    item = line.item
    where = f"basket line {line.line_id!r} (item {item.item_id!r})"
    if item.currency != ctx.currency:
        raise PricingError(f"{where}: priced in {item.currency}, the store uses {ctx.currency}")
    if item.tax_class not in ctx.tax_rates:
        raise PricingError(
            f"{where}: no tax rate for tax class {item.tax_class!r}; "
            f"configured: {', '.join(sorted(ctx.tax_rates)) or 'none'}"
        )
    if line.quantity < 1:
        raise PricingError(f"{where}: quantity must be at least 1, got {line.quantity}")
    if item.price_minor < 0:
        raise PricingError(f"{where}: negative catalogue price {item.price_minor}")
    if line.label_price_minor is not None:
        raise PricingError(f"{where}: negative label price {line.label_price_minor}")
    if item.unit is _KG:
        if line.weight_g is None or line.weight_g <= 0:
            raise PricingError(f"{where}: sold by the kg but weight_g is {line.weight_g}")
        raise PricingError(f"{where}: a weighed line has quantity 1, got {line.quantity}")
    raise AssertionError(f"{where}: refused without a reason")  # pragma: no cover
