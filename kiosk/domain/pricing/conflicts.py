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

from kiosk.domain.pricing.apply import Evaluator
from kiosk.domain.pricing.rules import Rule


def apply_order(rules: Sequence[Rule], ranks: Iterable[int]) -> list[int]:
    """Ranks in application order: exclusive rules by rank, then the rest by stage, rank."""
    return sorted(ranks, key=lambda r: (rules[r].apply_group, r))


class Bounds:
    """Upper bounds of what a rule can take off in any combination of rules."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self._offs: dict[int, list[int]] = {}
        self._savings: dict[int, int] = {}

    def offs(self, rank: int) -> list[int]:
        """At most what line-level rule `rank` can take off each line it is eligible on
        (in the order of `ev.eligible[rank]`)."""
        offs = self._offs.get(rank)
        if offs is None:
            offs = self._offs[rank] = self._line_offs(rank)
        return offs

    def can_save(self, rank: int) -> bool:
        """Whether rule `rank` can take anything off this basket."""
        if self.ev.rules[rank].is_basket:
            return self.saving(rank) > 0
        return max(self.offs(rank)) > 0

    def _line_offs(self, rank: int) -> list[int]:
        """Per eligible line: the most the rule takes off it alone, capped at the rule's
        line cap and clamped to [0, the line's base]."""
        ev = self.ev
        rule = ev.rules[rank]
        lines, bases = ev.lines, ev.bases
        eligible = ev.eligible[rank]
        cap = rule.line_cap_minor
        raw: list[int]
        if rule.is_price:
            rounding = ev.rounding
            raw = []
            for i in eligible:
                line = lines[i]
                price = line.item.member_price_minor if rule.member_price else rule.price_minor
                assert price is not None
                raw.append(line.base - line.amount_at(price, rounding))
        elif rule.is_basket:
            raw = [bases[i] for i in eligible]  # an exclusive basket rule may take it all
        elif rule.is_percent:
            # At most 100 % of a base of at least 0: already within [0, base].
            numerator, denominator = rule.percent_ratio
            half_up = ev.half_up
            out: list[int] = []
            for i in eligible:  # round_ratio(bases[i] * numerator, denominator), inlined
                off, remainder = divmod(bases[i] * numerator, denominator)
                twice = 2 * remainder
                if twice > denominator or (twice == denominator and (half_up or off & 1)):
                    off += 1
                out.append(cap if cap is not None and off > cap else off)
            return out
        elif rule.is_item:
            assert rule.amount_minor is not None
            amount = rule.amount_minor
            raw = [amount * lines[i].quantity if lines[i].countable else amount for i in eligible]
        else:
            raw = self._group_offs(rule, eligible)
        out = []
        for i, wanted in zip(eligible, raw, strict=True):
            off = cap if cap is not None and wanted > cap else wanted
            base = bases[i]
            out.append(off if 0 <= off <= base else (0 if off < 0 else base))
        return out

    def _group_offs(self, rule: Rule, eligible: Sequence[int]) -> list[int]:
        """Per line: its pieces that can be free, or its whole amount for a group price."""
        lines = self.ev.lines
        size, free = rule.quantity, rule.free
        if not rule.is_multi_buy:  # mix & match pools every covered item
            groups = sum(lines[i].quantity for i in eligible) // size
            if not groups:
                return [0] * len(eligible)
            if free:
                most = groups * free
                return [
                    lines[i].unit_price * (q if (q := lines[i].quantity) < most else most)
                    for i in eligible
                ]
            if self._price_group_saves(rule, eligible):
                return [lines[i].base for i in eligible]
            return [0] * len(eligible)
        pools: dict[str, int] = {}
        for i in eligible:
            line = lines[i]
            key = line.item.item_id
            pools[key] = pools.get(key, 0) + line.quantity
        raw = []
        saves: bool | None = None
        for i in eligible:
            line = lines[i]
            groups = pools[line.item.item_id] // size
            if free:
                raw.append(line.unit_price * min(line.quantity, groups * free))
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
            if rule.is_basket:
                total = ev.amount(rank, sum(map(ev.bases.__getitem__, ev.eligible[rank])))
            else:
                total = sum(self.offs(rank))
                if rule.basket_cap_minor is not None:
                    total = min(total, rule.basket_cap_minor)
            self._savings[rank] = total
        return total


def effective(bounds: Bounds, ranks: Iterable[int]) -> list[int]:
    """The ranks that can take something off this basket."""
    return [rank for rank in ranks if bounds.can_save(rank)]


@dataclass(frozen=True, slots=True)
class Cuts:
    """Per line: the rules that can take something off it (line-level rules, exclusive
    ones left out), and what is left of it when they all take their most."""

    cutters: dict[int, list[int]]  # line -> the rules that can take something off it
    low: list[int]  # per line of the basket: its base less the most they take, at least 0


@dataclass(frozen=True, slots=True)
class Decisions:
    """Rules whose use must be searched: conflicts, and discounts that may cost a tier."""

    core: list[int]  # exclusive rules and group rules that compete for lines or pieces
    crossing: dict[int, set[int]]  # threshold rank -> line-level rules on its lines
    cuts: Cuts | None = None  # what the 满减 check used, when there were thresholds

    def all(self) -> list[int]:
        return sorted(set(self.core).union(*self.crossing.values()))


def decisions(
    ev: Evaluator, bounds: Bounds, applicable: Sequence[int], cuts: Cuts | None = None
) -> Decisions:
    """The applicable rules whose use must be searched (see module docstring), by rank.

    - an exclusive rule sharing a line with another rule;
    - a group rule sharing a line with a lower-ranked group rule;
    - for each 满减 threshold whose reward the line discounts on its lines could lower
      (a safe bound: every discount at its most, lines of exclusive rules left out),
      the line-level rules that discount those lines (`crossing`).

    `cuts` may pass the `Decisions.cuts` of a basket whose lines, where they are
    eligible here, have exactly the same non-exclusive line-level rules (the same basket
    less some exclusive rules, or less every rule on some lines).
    """
    rules = ev.rules
    eligible = ev.eligible
    exclusives: list[int] = []
    groups: list[int] = []
    thresholds: list[int] = []
    for rank in applicable:
        rule = rules[rank]
        if rule.exclusive:
            exclusives.append(rank)
        elif rule.is_threshold:
            thresholds.append(rank)
        if rule.is_group:
            groups.append(rank)
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
        groups.sort()
        last_group: dict[int, int] = {}  # line -> the lowest-ranked (largest) group rule on it
        for rank in groups:  # ascending, so the last one written is the largest
            last_group.update(dict.fromkeys(eligible[rank], rank))
        for rank in groups:
            if max(map(last_group.__getitem__, eligible[rank])) > rank:
                chosen.add(rank)
    crossing: dict[int, set[int]] = {}
    if thresholds:
        if cuts is None:
            cuts = _cuts(ev, bounds, applicable)
        cutters, low = cuts.cutters, cuts.low
        bases = ev.bases
        for rank in thresholds:
            lines = eligible[rank]
            upper = sum(map(bases.__getitem__, lines))
            lower = sum(map(low.__getitem__, lines))
            if exclusive_lines:  # an exclusive rule may take a line out entirely
                lower -= sum(map(low.__getitem__, exclusive_lines.intersection(lines)))
            if ev.amount(rank, lower) != ev.amount(rank, upper):
                contributors: set[int] = set()
                for i in lines:
                    if i in cutters:
                        contributors.update(cutters[i])
                if contributors:
                    crossing[rank] = contributors
    return Decisions(sorted(chosen), crossing, cuts)


def _cuts(ev: Evaluator, bounds: Bounds, applicable: Sequence[int]) -> Cuts:
    """Per line, shared by all thresholds: the most its discounts can take together,
    and the rules that can take something off it."""
    rules = ev.rules
    eligible = ev.eligible
    low = list(ev.bases)
    cutters: dict[int, list[int]] = {}
    whole = bounds.ev.eligible
    for rank in applicable:
        rule = rules[rank]
        if rule.is_basket or rule.exclusive:
            continue
        offs = bounds.offs(rank)  # bounds over the whole basket's eligible lines
        lines = eligible[rank]
        whole_lines = whole[rank]
        if lines is whole_lines:
            pairs: Iterable[tuple[int, int]] = zip(lines, offs, strict=True)
        else:
            off_of = dict(zip(whole_lines, offs, strict=True))
            pairs = ((i, off_of[i]) for i in lines)
        for i, off in pairs:
            if off > 0:
                low[i] -= off
                held = cutters.get(i)
                if held is None:
                    cutters[i] = [rank]
                else:
                    held.append(rank)
    for i in cutters:
        low[i] = max(low[i], 0)
    return Cuts(cutters, low)
