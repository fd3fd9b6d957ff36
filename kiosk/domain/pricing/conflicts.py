"""Which rules conflict in a basket, and safe bounds of what each rule can take off.

See kiosk.domain.pricing.resolution for how the conflicts found here are searched.
Everything here is linear in the basket's rule-on-line pairs: bounds are computed once
per rule for all its lines, and per-line sums are shared by every threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from kiosk.domain.pricing.allocation import round_ratio
from kiosk.domain.pricing.apply import Evaluator
from kiosk.domain.pricing.rules import Kind, Rule, Stage


def apply_order(rules: Sequence[Rule], ranks: Iterable[int]) -> list[int]:
    """Ranks in application order: exclusive rules by rank, then the rest by stage, rank."""
    return sorted(
        ranks, key=lambda r: (0, 0, r) if rules[r].exclusive else (1, int(rules[r].stage), r)
    )


def is_line_level(rule: Rule) -> bool:
    """Exclusive rules and price/group/item rules act on lines; the rest on the basket."""
    return rule.line_level


class Bounds:
    """Upper bounds of what a rule can take off in any combination of rules."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self._offs: dict[int, dict[int, int]] = {}
        self._savings: dict[int, int] = {}

    def line_off(self, rank: int, i: int) -> int:
        """At most what rule `rank` can take off line `i` (line-level rules)."""
        return self.offs(rank)[i]

    def offs(self, rank: int) -> dict[int, int]:
        """`line_off(rank, i)` for every line `i` the rule is eligible on."""
        offs = self._offs.get(rank)
        if offs is None:
            offs = self._offs[rank] = self._line_offs(rank)
        return offs

    def can_save(self, rank: int) -> bool:
        """Whether rule `rank` can take anything off this basket."""
        rule = self.ev.rules[rank]
        if rule.stage is Stage.BASKET:
            return self.saving(rank) > 0
        return max(self.offs(rank).values()) > 0

    def _line_offs(self, rank: int) -> dict[int, int]:
        """Per eligible line: the most the rule takes off it alone, capped at the rule's
        line cap and clamped to [0, the line's base]."""
        ev = self.ev
        rule = ev.rules[rank]
        lines, bases = ev.lines, ev.bases
        eligible = ev.eligible[rank]
        rounding = ev.rounding
        kind = rule.kind
        raw: list[int]
        if kind is Kind.PRICE:
            raw = []
            for i in eligible:
                line = lines[i]
                price = line.item.member_price_minor if rule.member_price else rule.price_minor
                assert price is not None
                raw.append(line.base - line.amount_at(price, rounding))
        elif rule.stage is Stage.BASKET:
            raw = [bases[i] for i in eligible]  # an exclusive basket rule may take it all
        elif kind is Kind.PERCENT_OFF:
            numerator, denominator = rule.percent_ratio
            if rule.line_cap_minor is None:
                # At most 100 % of a base of at least 0: already within [0, base].
                return {
                    i: round_ratio(bases[i] * numerator, denominator, rounding) for i in eligible
                }
            raw = [round_ratio(bases[i] * numerator, denominator, rounding) for i in eligible]
        elif kind is Kind.AMOUNT_OFF:
            assert rule.amount_minor is not None
            amount = rule.amount_minor
            raw = [amount * lines[i].quantity if lines[i].countable else amount for i in eligible]
        else:
            raw = self._group_offs(rule, eligible)
        cap = rule.line_cap_minor
        out: dict[int, int] = {}
        for i, wanted in zip(eligible, raw, strict=True):
            off = cap if cap is not None and wanted > cap else wanted
            base = bases[i]
            out[i] = off if 0 <= off <= base else (0 if off < 0 else base)
        return out

    def _group_offs(self, rule: Rule, eligible: Sequence[int]) -> list[int]:
        """Per line: its pieces that can be free, or its whole amount for a group price."""
        lines = self.ev.lines
        pools: dict[str, int] = {}
        per_item = rule.kind is Kind.MULTI_BUY  # mix & match pools every covered item
        for i in eligible:
            key = lines[i].item.item_id if per_item else ""
            pools[key] = pools.get(key, 0) + lines[i].quantity
        raw = []
        saves: bool | None = None
        for i in eligible:
            line = lines[i]
            groups = pools[line.item.item_id if per_item else ""] // rule.quantity
            if rule.free:
                raw.append(line.unit_price * min(line.quantity, groups * rule.free))
                continue
            if groups and saves is None:
                saves = self._price_group_saves(rule, eligible)
            raw.append(line.base if groups and saves else 0)
        return raw

    def _price_group_saves(self, rule: Rule, eligible: Sequence[int]) -> bool:
        """Whether the dearest pieces at shelf price cost more than the group price."""
        lines = self.ev.lines
        pieces = sorted(
            (
                lines[i].unit_price
                for i in eligible
                for _ in range(min(lines[i].quantity, rule.quantity))
            ),
            reverse=True,
        )
        return sum(pieces[: rule.quantity]) > (rule.price_minor or 0)

    def saving(self, rank: int) -> int:
        """At most what rule `rank` can take off the whole basket."""
        total = self._savings.get(rank)
        if total is None:
            ev = self.ev
            rule = ev.rules[rank]
            if rule.stage is Stage.BASKET:
                spend = sum(ev.lines[i].base for i in ev.eligible[rank])
                total = ev.basket_amount(rule, spend)
            else:
                total = sum(self.offs(rank).values())
                if rule.basket_cap_minor is not None:
                    total = min(total, rule.basket_cap_minor)
            self._savings[rank] = total
        return total


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
    """The applicable rules whose use must be searched (see module docstring), by rank.

    - an exclusive rule sharing a line with another rule;
    - a group rule sharing a line with a lower-ranked group rule;
    - for each 满减 threshold whose reward the line discounts on its lines could lower
      (a safe bound: every discount at its most, lines of exclusive rules left out),
      the line-level rules that discount those lines (`crossing`).
    """
    rules = ev.rules
    eligible = ev.eligible
    exclusives = [r for r in applicable if rules[r].exclusive]
    groups = sorted(r for r in applicable if rules[r].stage is Stage.GROUP)
    chosen: set[int] = set()
    exclusive_lines: set[int] = set()
    if exclusives:
        rules_on = Counter(chain.from_iterable(eligible[r] for r in applicable))
        for rank in exclusives:
            lines = eligible[rank]
            exclusive_lines.update(lines)
            if max(map(rules_on.__getitem__, lines)) > 1:
                chosen.add(rank)
    if len(groups) > 1:
        last_group: dict[int, int] = {}  # line -> the lowest-ranked (largest) group rule on it
        for rank in groups:  # ascending, so the last one written is the largest
            last_group.update(dict.fromkeys(eligible[rank], rank))
        for rank in groups:
            if max(map(last_group.__getitem__, eligible[rank])) > rank:
                chosen.add(rank)
    thresholds = [
        r for r in applicable if rules[r].kind is Kind.THRESHOLD and not rules[r].exclusive
    ]
    crossing: dict[int, set[int]] = {}
    if thresholds:
        # Per line, shared by all thresholds: the most its discounts can take together,
        # and the rules that can take something off it.
        cut: dict[int, int] = {}
        cutters: dict[int, list[int]] = {}
        whole = bounds.ev.eligible
        for rank in applicable:
            rule = rules[rank]
            if rule.stage >= Stage.BASKET or rule.exclusive:
                continue
            offs = bounds.offs(rank)  # bounds over the whole basket's eligible lines
            lines = eligible[rank]
            pairs = offs.items() if lines is whole.get(rank) else ((i, offs[i]) for i in lines)
            for i, off in pairs:
                if off > 0:
                    if i in cut:
                        cut[i] += off
                        cutters[i].append(rank)
                    else:
                        cut[i] = off
                        cutters[i] = [rank]
        bases = ev.bases
        for rank in thresholds:
            rule = rules[rank]
            upper = lower = 0
            contributors: set[int] = set()
            for i in eligible[rank]:
                base = bases[i]
                upper += base
                if i in cut:
                    contributors.update(cutters[i])
                    if i not in exclusive_lines:  # an exclusive rule may take it out entirely
                        left = base - cut[i]
                        if left > 0:
                            lower += left
                elif i not in exclusive_lines:
                    lower += base
            if contributors and ev.basket_amount(rule, lower) != ev.basket_amount(rule, upper):
                crossing[rank] = contributors
    return Decisions(sorted(chosen), crossing)


def couples(rule: Rule) -> bool:
    """Whether what the rule takes off one line depends on other lines."""
    return rule.coupling
