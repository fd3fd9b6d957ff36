"""Which rules conflict in a basket, and safe bounds of what each rule can take off.

See kiosk.domain.pricing.resolution for how the conflicts found here are searched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.domain.pricing.apply import Evaluator, percent_of
from kiosk.domain.pricing.rules import Kind, Rule, Stage


def apply_order(rules: Sequence[Rule], ranks: Iterable[int]) -> list[int]:
    """Ranks in application order: exclusive rules by rank, then the rest by stage, rank."""
    return sorted(
        ranks, key=lambda r: (0, 0, r) if rules[r].exclusive else (1, int(rules[r].stage), r)
    )


def is_line_level(rule: Rule) -> bool:
    """Exclusive rules and price/group/item rules act on lines; the rest on the basket."""
    return rule.exclusive or rule.stage < Stage.BASKET


class Bounds:
    """Upper bounds of what a rule can take off in any combination of rules."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self._pools: dict[tuple[int, str], int] = {}
        self._offs: dict[tuple[int, int], int] = {}

    def line_off(self, rank: int, i: int) -> int:
        """At most what rule `rank` can take off line `i` (line-level rules)."""
        key = (rank, i)
        off = self._offs.get(key)
        if off is None:
            off = self._offs[key] = self._line_off(rank, i)
        return off

    def can_save(self, rank: int) -> bool:
        """Whether rule `rank` can take anything off this basket."""
        rule = self.ev.rules[rank]
        if rule.stage is Stage.BASKET:
            return self.saving(rank) > 0
        return any(self.line_off(rank, i) > 0 for i in self.ev.eligible[rank])

    def _line_off(self, rank: int, i: int) -> int:
        ev = self.ev
        rule = ev.rules[rank]
        line = ev.lines[i]
        if rule.kind is Kind.PRICE:
            price = line.item.member_price_minor if rule.member_price else rule.price_minor
            assert price is not None
            off = line.base - line.amount_at(price, ev.rounding)
        elif rule.stage is Stage.BASKET:
            off = line.base  # an exclusive basket rule may take a whole line
        elif rule.kind is Kind.PERCENT_OFF:
            assert rule.percent is not None
            off = percent_of(line.base, rule.percent, ev.rounding)
        elif rule.kind is Kind.AMOUNT_OFF:
            assert rule.amount_minor is not None
            off = rule.amount_minor * (line.quantity if line.countable else 1)
        else:
            groups = self._pool(rank, line.item.item_id) // rule.quantity
            if rule.free:
                off = line.unit_price * min(line.quantity, groups * rule.free)
            else:
                off = line.base if groups and self._price_group_saves(rank) else 0
        if rule.line_cap_minor is not None:
            off = min(off, rule.line_cap_minor)
        return max(0, min(off, line.base))

    def saving(self, rank: int) -> int:
        """At most what rule `rank` can take off the whole basket."""
        ev = self.ev
        rule = ev.rules[rank]
        eligible = ev.eligible[rank]
        if rule.stage is Stage.BASKET:
            return ev.basket_amount(rule, sum(ev.lines[i].base for i in eligible))
        total = sum(self.line_off(rank, i) for i in eligible)
        if rule.basket_cap_minor is not None:
            total = min(total, rule.basket_cap_minor)
        return total

    def _pool(self, rank: int, item_id: str) -> int:
        """Pieces a group rule can draw on for an item (all its items for mix & match)."""
        rule = self.ev.rules[rank]
        key = (rank, item_id if rule.kind is Kind.MULTI_BUY else "")
        if key not in self._pools:
            self._pools[key] = sum(
                self.ev.lines[i].quantity
                for i in self.ev.eligible[rank]
                if rule.kind is Kind.MIX_MATCH or self.ev.lines[i].item.item_id == item_id
            )
        return self._pools[key]

    def _price_group_saves(self, rank: int) -> bool:
        """Whether the dearest pieces at shelf price cost more than the group price."""
        rule = self.ev.rules[rank]
        pieces = sorted(
            (
                self.ev.lines[i].unit_price
                for i in self.ev.eligible[rank]
                for _ in range(min(self.ev.lines[i].quantity, rule.quantity))
            ),
            reverse=True,
        )
        return sum(pieces[: rule.quantity]) > (rule.price_minor or 0)


def effective(bounds: Bounds, ranks: Iterable[int]) -> list[int]:
    """The ranks that can take something off this basket."""
    return [rank for rank in ranks if bounds.can_save(rank)]


@dataclass(frozen=True, slots=True)
class Decisions:
    """Rules whose use must be searched: conflicts, and discounts that may cost a tier."""

    core: list[int]  # exclusive rules and group rules that compete for lines or pieces
    crossing: dict[int, set[int]]  # threshold rank -> line-level rules on its lines

    def all(self) -> list[int]:
        return sorted(set(self.core).union(*self.crossing.values()))


def decisions(ev: Evaluator, bounds: Bounds, applicable: Sequence[int]) -> Decisions:
    """The applicable rules whose use must be searched (see module docstring), by rank."""
    rules = ev.rules
    on_line: dict[int, list[int]] = {}
    for rank in applicable:
        for i in ev.eligible[rank]:
            on_line.setdefault(i, []).append(rank)
    chosen: set[int] = set()
    exclusive_lines: set[int] = set()
    for rank in applicable:
        rule = rules[rank]
        if rule.exclusive:
            exclusive_lines.update(ev.eligible[rank])
            if any(len(on_line[i]) > 1 for i in ev.eligible[rank]):
                chosen.add(rank)
        if rule.stage is Stage.GROUP and any(
            other > rank and rules[other].stage is Stage.GROUP
            for i in ev.eligible[rank]
            for other in on_line[i]
        ):
            chosen.add(rank)
    crossing: dict[int, set[int]] = {}
    for rank in applicable:
        rule = rules[rank]
        if rule.kind is not Kind.THRESHOLD or rule.exclusive:
            continue
        upper = lower = 0
        contributors: set[int] = set()
        for i in ev.eligible[rank]:
            base = ev.lines[i].base
            upper += base
            cut = 0
            for other in on_line[i]:
                if rules[other].stage < Stage.BASKET and not rules[other].exclusive:
                    off = bounds.line_off(other, i)
                    if off > 0:
                        cut += off
                        contributors.add(other)
            if i not in exclusive_lines:  # an exclusive rule may take the line out entirely
                lower += max(0, base - cut)
        if contributors and ev.basket_amount(rule, lower) != ev.basket_amount(rule, upper):
            crossing[rank] = contributors
    return Decisions(sorted(chosen), crossing)


def couples(rule: Rule) -> bool:
    """Whether what the rule takes off one line depends on other lines."""
    return (
        rule.stage is Stage.GROUP
        or rule.basket_cap_minor is not None
        or (rule.exclusive and rule.stage is Stage.BASKET)
    )
