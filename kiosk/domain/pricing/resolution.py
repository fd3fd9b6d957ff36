"""Best price for the shopper: choose which applicable rules to combine.

Most rules only ever lower the total when added to any combination (each takes a
discount off what is left of a line, in a fixed order), so they are always applied. A
rule is a *decision* only when adding it can raise the total:

- an exclusive rule that shares a line with another rule (it shuts the others out);
- a group rule (multi-buy, mix & match) sharing a line with a lower-ranked group rule
  (it takes pieces the other could have used);
- a line-level rule on the lines of a 满减 threshold, when the discounts on those lines
  could push the spend below a tier the undiscounted lines reach (checked with a safe
  upper bound of what every rule can take off each line).

Rules that can take nothing off this basket (a multi-buy short of pieces, a special
price above the shelf price) are dropped first. Lines linked by line-level rules form
independent components; each component's result is computed once per subset of its
decisions and cached, and basket-wide rules are combined from per-component sums.

Bound: with at most `MAX_EXACT_DECISIONS` decisions (per component) in the basket, and
at most `MAX_SEARCH_WORK` line evaluations needed, every combination is evaluated,
which yields the lowest total over all combinations. Otherwise components are
optimised one at a time (every subset when a component has at most
`MAX_EXACT_DECISIONS` decisions, else flipping one decision at a time), the others held
at their best so far, until `MAX_SEARCH_WORK` lines have been evaluated; the result is
never worse than all rules on, nor than any single rule alone, but may miss the global
optimum. Equal totals go to the combination whose decisions rank higher (priority,
then id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.domain.pricing.apply import Evaluator, Work, percent_of
from kiosk.domain.pricing.rules import Kind, Rule, Stage

MAX_EXACT_DECISIONS = 8
MAX_SEARCH_WORK = 4096  # rule-on-line applications, summed over component evaluations
MAX_GLOBAL_CHOICES = 3


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


def decisions(ev: Evaluator, bounds: Bounds, applicable: Sequence[int]) -> list[int]:
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
        if ev.basket_amount(rule, lower) != ev.basket_amount(rule, upper):
            chosen.update(contributors)
    return sorted(chosen)


def couples(rule: Rule) -> bool:
    """Whether what the rule takes off one line depends on other lines."""
    return (
        rule.stage is Stage.GROUP
        or rule.basket_cap_minor is not None
        or (rule.exclusive and rule.stage is Stage.BASKET)
    )


@dataclass(frozen=True, slots=True)
class _Part:
    """One component evaluated under one subset of its decisions."""

    net_total: int
    spends: tuple[int, ...]  # per basket rule: spend on this component's unclaimed lines
    nets: tuple[tuple[int, int], ...]  # (line, net) for the exact basket computation
    claimed: frozenset[int]


Unit = tuple[int, int]  # (rank, component): whether a decided rule is used in a component


class Resolver:
    """Searches combinations of decisions; see the module docstring for the bound.

    Lines are grouped into components by the rules that couple lines (groups, basket
    caps, exclusive basket rules); other rules act on each line alone, so a decision is
    taken per component it touches (a *unit*), e.g. an exclusive 20% off is weighed
    against the other offers separately for each independent part of the basket.
    """

    def __init__(self, ev: Evaluator, order: Sequence[int], decided: Sequence[int]) -> None:
        self.ev = ev
        self.order = list(order)
        self.decided = set(decided)
        self.basket = [r for r in order if not is_line_level(ev.rules[r])]
        covered = [set(ev.eligible[r]) for r in self.basket]
        self.overlaps = [
            [j for j in range(k) if not covered[j].isdisjoint(covered[k])]
            for k in range(len(self.basket))
        ]
        self.evaluations = 0
        comp = _components(ev, [r for r in order if couples(ev.rules[r])])
        first_id: dict[int, str] = {}
        for i, c in enumerate(comp):
            if c not in first_id or ev.ids[i] < first_id[c]:
                first_id[c] = ev.ids[i]
        line_rules = [r for r in order if is_line_level(ev.rules[r])]
        self.units: list[Unit] = sorted(
            {(r, comp[i]) for r in decided for i in ev.eligible[r]},
            key=lambda u: (u[0], first_id[u[1]]),
        )
        roots = {c for _, c in self.units}
        # Components in line-id order, so the search does not depend on basket order.
        self.components = sorted(roots, key=first_id.__getitem__)
        self.choices = {c: [u for u in self.units if u[1] == c] for c in self.components}
        self.lines = {c: [i for i, ci in enumerate(comp) if ci == c] for c in roots}
        split: dict[int, dict[int, list[int]]] = {c: {} for c in roots}
        fixed_split: dict[int, list[int]] = {}
        for rank in line_rules:
            for i in ev.eligible[rank]:
                into = split[comp[i]] if comp[i] in roots else fixed_split
                into.setdefault(rank, []).append(i)
        self.local = {
            c: ev.restricted({r: tuple(lines) for r, lines in split[c].items()}) for c in roots
        }
        self.work = {c: sum(map(len, split[c].values())) for c in roots}
        fixed = ev.restricted({r: tuple(lines) for r, lines in fixed_split.items()})
        fixed_lines = [i for i, c in enumerate(comp) if c not in roots]
        self.fixed = self._evaluate(fixed, [r for r in order if r in fixed.eligible], fixed_lines)
        self.cache: dict[tuple[int, frozenset[Unit]], _Part] = {}
        self.weight = {u: 1 << (len(self.units) - 1 - j) for j, u in enumerate(self.units)}
        self.comp = comp

    def best(self) -> Evaluator:
        """An evaluator restricted to the best combination found; run it over `order`."""
        exact_cost = sum((1 << len(self.choices[c])) * self.work[c] for c in self.components)
        if len(self.units) <= MAX_EXACT_DECISIONS and exact_cost <= MAX_SEARCH_WORK:
            best = min(self._combine(self._mask(m)) for m in range(1 << len(self.units)))
        else:
            best = self._coordinate_search()
        on = best[2]
        eligible = dict(self.ev.eligible)
        for rank in self.decided:
            eligible[rank] = tuple(i for i in eligible[rank] if (rank, self.comp[i]) in on)
        return self.ev.restricted({r: lines for r, lines in eligible.items() if lines})

    def _mask(self, mask: int) -> dict[int, frozenset[Unit]]:
        on = {u for j, u in enumerate(self.units) if mask >> j & 1}
        return {c: frozenset(on.intersection(self.choices[c])) for c in self.components}

    def _combine(self, state: dict[int, frozenset[Unit]]) -> tuple[int, int, frozenset[Unit]]:
        """(total, -score, units on) of one combination."""
        parts = [self.fixed] + [self._part(c, state[c]) for c in self.components]
        on: frozenset[Unit] = frozenset().union(*state.values())
        net_total = sum(p.net_total for p in parts)
        spends = [sum(p.spends[k] for p in parts) for k in range(len(self.basket))]
        return self._total(net_total, spends, parts), -self._score(on), on

    def _score(self, on: Iterable[Unit]) -> int:
        return sum(self.weight[u] for u in on)

    def _part(self, c: int, on: frozenset[Unit]) -> _Part:
        key = (c, on)
        part = self.cache.get(key)
        if part is None:
            self.evaluations += self.work[c]
            local = self.local[c]
            ranks = [
                r
                for r in self.order
                if r in local.eligible and (r not in self.decided or (r, c) in on)
            ]
            part = self.cache[key] = self._evaluate(local, ranks, self.lines[c])
        return part

    def _evaluate(self, ev: Evaluator, ranks: Sequence[int], lines: Sequence[int]) -> _Part:
        w = Work(ev.bases)
        ev.line_stages(ranks, w)
        in_part = set(lines)
        spends = tuple(
            sum(w.net[i] for i in self.ev.eligible[k] if i in in_part and i not in w.claimed)
            for k in self.basket
        )
        return _Part(
            net_total=sum(w.net[i] for i in lines),
            spends=spends,
            nets=tuple((i, w.net[i]) for i in lines),
            claimed=frozenset(w.claimed & in_part),
        )

    def _total(self, net_total: int, spends: Sequence[int], parts: Sequence[_Part]) -> int:
        """The basket total from the parts' sums; allocates only when a clamp may bind."""
        amounts: list[int] = []
        for k, rank in enumerate(self.basket):
            rule = self.ev.rules[rank]
            amount = self.ev.basket_amount(rule, spends[k])
            # Earlier basket rules take at most their amounts off this rule's lines.
            if amount and (
                rule.line_cap_minor is not None
                or sum(amounts[j] for j in self.overlaps[k]) + amount > spends[k]
            ):
                return self._exact_total(parts)
            amounts.append(amount)
        return net_total - sum(amounts)

    def _exact_total(self, parts: Sequence[_Part]) -> int:
        w = Work(self.ev.bases)
        for part in parts:
            for i, net in part.nets:
                w.net[i] = net
            w.claimed.update(part.claimed)
        self.ev.basket_stage(self.basket, w)
        return w.total()

    def _coordinate_search(self) -> tuple[int, int, frozenset[Unit]]:
        """Optimise one component at a time, the others held at their best so far."""
        state = {c: frozenset(self.choices[c]) for c in self.components}
        parts = {c: self._part(c, state[c]) for c in self.components}
        net_total = self.fixed.net_total + sum(p.net_total for p in parts.values())
        spends = [
            self.fixed.spends[k] + sum(p.spends[k] for p in parts.values())
            for k in range(len(self.basket))
        ]
        score = self._score(u for on in state.values() for u in on)
        best = (self._total(net_total, spends, [self.fixed, *parts.values()]), -score)
        for c in self.components:
            choices = self.choices[c]
            exact = len(choices) <= MAX_EXACT_DECISIONS
            for j in range(1 << len(choices) if exact else len(choices)):
                if self.evaluations >= MAX_SEARCH_WORK:
                    break
                if exact:
                    trial = frozenset(u for k, u in enumerate(choices) if j >> k & 1)
                else:  # flip one decision of the best state so far
                    trial = state[c] ^ {choices[j]}
                if trial == state[c]:
                    continue
                part, old = self._part(c, trial), parts[c]
                trial_net = net_total - old.net_total + part.net_total
                trial_spends = [
                    s - o + n for s, o, n in zip(spends, old.spends, part.spends, strict=True)
                ]
                trial_score = score - self._score(state[c]) + self._score(trial)
                others = [self.fixed, *(parts[x] for x in self.components if x != c), part]
                key = (self._total(trial_net, trial_spends, others), -trial_score)
                if key < best:
                    best, state[c], parts[c] = key, trial, part
                    net_total, spends, score = trial_net, trial_spends, trial_score
        return best[0], best[1], frozenset(u for on in state.values() for u in on)


def _components(ev: Evaluator, coupling: Sequence[int]) -> list[int]:
    """Component id (a root line index) of every line, linking lines of coupling rules."""
    parent = list(range(len(ev.lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rank in coupling:
        rule = ev.rules[rank]
        per_item = (
            rule.kind is Kind.MULTI_BUY
            and rule.max_applications is None
            and rule.basket_cap_minor is None
        )
        first: dict[str, int] = {}
        for i in ev.eligible[rank]:
            key = ev.lines[i].item.item_id if per_item else ""  # a multi-buy pools per item
            j = first.setdefault(key, i)
            parent[root(i)] = root(j)
    return [root(i) for i in range(len(ev.lines))]


def resolve(ev: Evaluator, order: Sequence[int], bounds: Bounds) -> Work:
    """The evaluation of the combination with the lowest total found."""
    decided = decisions(ev, bounds, order)
    if not decided:
        return ev.run(order)  # all on: provably no worse than any other combination
    work = _search(ev, order, bounds, decided).run(order)
    slack = sum(ev.bases) - work.total()
    for rank in order:  # never worse than a single rule alone (most are skipped unrun)
        if bounds.saving(rank) > slack:
            alone = ev.run([rank])
            if alone.total() < work.total():
                work = alone
                slack = sum(ev.bases) - work.total()
    return work


def _search(
    ev: Evaluator, order: Sequence[int], bounds: Bounds, decided: Sequence[int] | None = None
) -> Evaluator:
    """An evaluator restricted to the best combination found.

    An exclusive basket-wide rule (an exclusive coupon, say) couples every line it
    covers, so it is decided first: either it is off, or it alone takes its lines and
    the rest of the basket is searched without them (the first `MAX_GLOBAL_CHOICES`
    such rules by rank; the others stay off).
    """
    if decided is None:
        decided = decisions(ev, bounds, order)
    if not decided:
        return ev
    rules = ev.rules
    wide = [r for r in decided if rules[r].exclusive and rules[r].stage is Stage.BASKET]
    if not wide:
        return Resolver(ev, order, decided).best()
    candidates = []
    for rank in wide[:MAX_GLOBAL_CHOICES]:
        taken = set(ev.eligible[rank])
        rest = ev.restricted(
            {
                r: tuple(i for i in lines if i not in taken)
                for r, lines in ev.eligible.items()
                if r not in wide
            }
        )
        rest = ev.restricted({r: lines for r, lines in rest.eligible.items() if lines})
        best_rest = _search(rest, [r for r in order if r in rest.eligible], bounds)
        candidates.append(ev.restricted({**best_rest.eligible, rank: ev.eligible[rank]}))
    off = ev.restricted({r: lines for r, lines in ev.eligible.items() if r not in wide})
    candidates.append(_search(off, [r for r in order if r not in wide], bounds))
    return min(candidates, key=lambda c: c.run(order).total())
