"""Best price for the shopper: choose which applicable rules to combine.

Most rules only ever lower the total when added to any combination (a discount on a
line's remaining net, taken in a fixed order), so they are always applied. A rule is a
*decision* only when adding it can raise the total:

- an exclusive rule that shares a line with another rule (it shuts the others out);
- a group rule (multi-buy, mix & match) that shares a line with a lower-ranked group
  rule (it takes pieces the other could have used);
- a line-level rule on the lines of a 满减 threshold, when the discounts on those lines
  could push the spend below a tier that the undiscounted lines reach (checked with a
  safe upper bound of every rule's possible discount per line).

Every subset of the decisions is tried when there are at most `MAX_EXACT_DECISIONS`
(2**6 = 64 evaluations), which gives the lowest total over all combinations. With more,
the search tries all decisions on, none, each one alone, then flips one decision at a
time while that lowers the total, within `MAX_EVALUATIONS` evaluations in all: the
result is never worse than any single rule alone or the all-on combination, but may
miss the global optimum. Equal totals go to the combination whose decisions rank
higher (priority, then id).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from kiosk.domain.pricing.apply import Evaluator, PreparedLine, Work
from kiosk.domain.pricing.rules import Kind, Rule, Stage

MAX_EXACT_DECISIONS = 6
MAX_EVALUATIONS = 64


def apply_order(rules: Sequence[Rule], ranks: Sequence[int]) -> list[int]:
    """Ranks in application order: exclusive rules by rank, then the rest by stage, rank."""
    return sorted(
        ranks, key=lambda r: (0, 0, r) if rules[r].exclusive else (1, int(rules[r].stage), r)
    )


def decisions(ev: Evaluator, applicable: Sequence[int]) -> list[int]:
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
    bounds = _Bounds(ev)
    for rank in applicable:
        rule = rules[rank]
        if rule.kind is not Kind.THRESHOLD or rule.exclusive:
            continue
        upper = lower = 0
        contributors: set[int] = set()
        for i in ev.eligible[rank]:
            base = ev.lines[i].base
            upper += base
            if i in exclusive_lines:
                continue  # an exclusive rule may take the line out of the spend entirely
            cut = 0
            for other in on_line[i]:
                if rules[other].stage < Stage.BASKET and not rules[other].exclusive:
                    off = bounds.line_off(other, i)
                    if off > 0:
                        cut += off
                        contributors.add(other)
            lower += max(0, base - cut)
        if _reward(rule, lower) != _reward(rule, upper):
            chosen.update(contributors)
    return sorted(chosen)


def _reward(rule: Rule, spend: int) -> int:
    reward = rule.threshold_reward(spend)
    return reward if rule.basket_cap_minor is None else min(reward, rule.basket_cap_minor)


class _Bounds:
    """Upper bounds of what a line-level rule can take off a line in any combination."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.pieces: dict[int, int] = {}

    def line_off(self, rank: int, i: int) -> int:
        rule = self.ev.rules[rank]
        line: PreparedLine = self.ev.lines[i]
        if rule.kind is Kind.PRICE:
            price = line.item.member_price_minor if rule.member_price else rule.price_minor
            assert price is not None
            off = line.base - line.amount_at(price, self.ev.rounding)
        elif rule.kind is Kind.PERCENT_OFF:
            assert rule.percent is not None
            off = self.ev.rounding.apply(line.base * rule.percent / 100)
        elif rule.kind is Kind.AMOUNT_OFF:
            assert rule.amount_minor is not None
            off = rule.amount_minor * (line.quantity if line.countable else 1)
        elif rule.free:
            if rank not in self.pieces:
                self.pieces[rank] = sum(self.ev.lines[j].quantity for j in self.ev.eligible[rank])
            groups = self.pieces[rank] // rule.quantity
            off = line.unit_price * min(line.quantity, groups * rule.free)
        else:
            off = line.base
        if rule.line_cap_minor is not None:
            off = min(off, rule.line_cap_minor)
        return max(0, min(off, line.base))


def resolve(ev: Evaluator, order: Sequence[int], decided: Sequence[int]) -> tuple[Work, set[int]]:
    """Evaluate combinations of the `decided` ranks (all others always on); return the
    cheapest evaluation and the decided ranks it uses."""
    decided_set = set(decided)
    weight = {rank: 1 << (len(decided) - 1 - j) for j, rank in enumerate(decided)}
    seen: dict[frozenset[int], tuple[int, int]] = {}
    best: tuple[tuple[int, int], Work, frozenset[int]] | None = None

    def evaluate(on: frozenset[int]) -> tuple[int, int]:
        nonlocal best
        if on in seen:
            return seen[on]
        work = ev.run([r for r in order if r not in decided_set or r in on])
        key = (work.total(), -sum(weight[r] for r in on))
        seen[on] = key
        if best is None or key < best[0]:
            best = (key, work, on)
        return key

    if len(decided) <= MAX_EXACT_DECISIONS:
        for mask in range(1 << len(decided)):
            evaluate(frozenset(r for j, r in enumerate(decided) if mask >> j & 1))
    else:
        everything = frozenset(decided)
        for start in chain([everything, frozenset()], (frozenset([r]) for r in decided)):
            evaluate(start)
        improved = True
        while improved and len(seen) < MAX_EVALUATIONS:
            improved = False
            assert best is not None
            current, current_key = best[2], best[0]
            for rank in decided:
                if len(seen) >= MAX_EVALUATIONS:
                    break
                flipped = current ^ {rank}
                if evaluate(flipped) < current_key:
                    improved = True
                    break
    assert best is not None
    return best[1], set(best[2])
