"""The explained result: each line with the discounts that made its price."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from kiosk.domain.pricing.lines import PreparedLine
from kiosk.domain.pricing.model import Discount, PricedLine
from kiosk.domain.pricing.rules import Rule
from kiosk.domain.pricing.work import Work

# A frozen dataclass's __init__ sets each field through object.__setattr__, which is most
# of the cost of the hundreds of discounts and lines a large basket explains on every
# scan. These build the same objects by setting their slots directly (the explained
# types are frozen, slotted and have no __post_init__; tests compare the two ways).
_new = object.__new__


def _slot_setters(cls: type, names: Sequence[str]) -> tuple[Callable[[object, Any], None], ...]:
    assert [f.name for f in dataclasses.fields(cls)] == list(names), cls
    assert not hasattr(cls, "__post_init__"), cls
    return tuple(getattr(cls, name).__set__ for name in names)


_D_RULE, _D_LABEL, _D_AMOUNT = _slot_setters(Discount, ("rule_id", "label", "amount_minor"))
(
    _L_ID,
    _L_ITEM,
    _L_QUANTITY,
    _L_WEIGHT,
    _L_UNIT,
    _L_BASE,
    _L_DISCOUNTS,
    _L_SHARES,
    _L_NET,
    _L_TAX,
) = _slot_setters(
    PricedLine,
    (
        "line_id",
        "item_id",
        "quantity",
        "weight_g",
        "unit_price_minor",
        "base_minor",
        "discounts",
        "basket_shares",
        "net_minor",
        "tax_class",
    ),
)


def make_discount(rule_id: str, label: dict[str, str], amount_minor: int) -> Discount:
    """`Discount(rule_id, label, amount_minor)`, built through its slots."""
    d: Discount = _new(Discount)
    _D_RULE(d, rule_id)
    _D_LABEL(d, label)
    _D_AMOUNT(d, amount_minor)
    return d


def make_line(  # noqa: PLR0917 - the fields of PricedLine, in order
    line_id: str,
    item_id: str,
    quantity: int,
    weight_g: int | None,
    unit_price_minor: int,
    base_minor: int,
    discounts: tuple[Discount, ...],
    basket_shares: tuple[Discount, ...],
    net_minor: int,
    tax_class: str,
) -> PricedLine:
    """`PricedLine(...)` with the same arguments, built through its slots."""
    line: PricedLine = _new(PricedLine)
    _L_ID(line, line_id)
    _L_ITEM(line, item_id)
    _L_QUANTITY(line, quantity)
    _L_WEIGHT(line, weight_g)
    _L_UNIT(line, unit_price_minor)
    _L_BASE(line, base_minor)
    _L_DISCOUNTS(line, discounts)
    _L_SHARES(line, basket_shares)
    _L_NET(line, net_minor)
    _L_TAX(line, tax_class)
    return line


class Explainer:
    """Builds the explained lines; each Discount gets its own copy of its rule's label."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.known: dict[int, tuple[str, dict[str, str]]] = {}  # rank -> id, label

    def discounts(self, entries: Sequence[tuple[int, int]]) -> tuple[Discount, ...]:
        """The explained `(rank, amount)` entries, in order."""
        known, rules = self.known, self.rules
        out = []
        for rank, amount in entries:
            rule_id_label = known.get(rank)
            if rule_id_label is None:
                rule = rules[rank]
                rule_id_label = known[rank] = (rule.rule_id, dict(rule.label))
            # make_discount, inlined: a large basket explains hundreds of discounts.
            d: Discount = _new(Discount)
            _D_RULE(d, rule_id_label[0])
            _D_LABEL(d, rule_id_label[1].copy())
            _D_AMOUNT(d, amount)
            out.append(d)
        return tuple(out)

    def lines(self, prepared: Sequence[PreparedLine], work: Work) -> tuple[PricedLine, ...]:
        disc, shares, net = work.disc, work.shares, work.net
        discounts = self.discounts
        out = []
        for p in prepared:
            index = p.index
            own = disc.get(index)
            shared = shares.get(index)
            item = p.item
            out.append(
                make_line(
                    p.line_id,
                    item.item_id,
                    p.quantity,
                    p.weight_g,
                    p.unit_price,
                    p.base,
                    discounts(own) if own else (),
                    discounts(shared) if shared else (),
                    net[index],
                    item.tax_class,
                )
            )
        return tuple(out)
