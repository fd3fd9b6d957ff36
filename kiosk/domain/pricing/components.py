"""Exhaustive and component-wise search over decision units (see resolution.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from kiosk.domain.pricing.apply import Evaluator, Work

MAX_EXACT_DECISIONS = 8
MAX_SEARCH_WORK = 1024  # rule-on-line applications per basket, all searches together


@dataclass(frozen=True, slots=True)
class _Part:
    """One component evaluated under one subset of its decisions."""

    net_total: int
    spends: tuple[int, ...]  # per basket rule: spend on this component's unclaimed lines
    nets: tuple[tuple[int, int], ...]  # (line, net) for the exact basket computation
    claimed: frozenset[int]
    disc: dict[int, list[tuple[int, int]]]  # line -> its line discounts (read only)
    shares: dict[int, list[tuple[int, int]]]  # shares of exclusive basket rules (read only)
    basket_totals: list[tuple[int, int]]  # (rank, amount) of those rules, by rank


# (rank, line): whether a decided rule is used on that line, or, for a rule coupling
# lines, on the group of lines that line names (see Resolver._unit_keys).
Unit = tuple[int, int]


class Budget:
    """Rule-on-line applications the search may still spend on this basket."""

    def __init__(self, left: int = MAX_SEARCH_WORK) -> None:
        self.left = left


class Resolver:
    """Searches combinations of decisions; see the module docstring for the bound.

    A decision is taken per *unit*: per line for a rule acting on each line alone (an
    exclusive 20 % off is weighed against the other offers line by line), per group of
    lines for a rule coupling them (a mix & match, a capped rule; a plain multi-buy per
    item). Lines linked by coupling rules form components, searched independently but
    for the basket-wide rules that sum over them.
    """

    def __init__(
        self, ev: Evaluator, order: Sequence[int], decided: Sequence[int], budget: Budget
    ) -> None:
        self.ev = ev
        self.budget = budget
        self.order = list(order)
        self.decided = set(decided)
        rules, eligible, ids = ev.rules, ev.eligible, ev.ids
        self.basket = [r for r in order if not rules[r].line_level]
        covered = [set(eligible[r]) for r in self.basket]
        self.overlaps = [
            [j for j in range(k) if not covered[j].isdisjoint(covered[k])]
            for k in range(len(self.basket))
        ]
        line_rules = [r for r in order if rules[r].line_level]
        comp = ev.partition(line_rules)
        first_id: dict[int, str] = {}
        for i, c in enumerate(comp):
            if c not in first_id or ids[i] < first_id[c]:
                first_id[c] = ids[i]
        self.comp = comp
        self.coupling = {r for r in decided if rules[r].coupling}
        self.keys = self._unit_keys(decided)
        keys = self.keys
        self.units: list[Unit] = sorted(
            {(r, keys[r, i]) for r in decided for i in eligible[r]},
            key=lambda u: (u[0], ids[u[1]]),
        )
        roots = {comp[k] for _, k in self.units}
        # Components in line-id order, so the search does not depend on basket order.
        self.components = sorted(roots, key=first_id.__getitem__)
        self.choices: dict[int, list[Unit]] = {c: [] for c in self.components}
        for unit in self.units:  # in unit order
            self.choices[comp[unit[1]]].append(unit)
        self.lines: dict[int, list[int]] = {c: [] for c in roots}
        self.fixed_lines: list[int] = []
        self.comp_of: dict[int, int | None] = {}
        for i, c in enumerate(comp):
            if c in roots:
                self.lines[c].append(i)
                self.comp_of[i] = c
            else:
                self.fixed_lines.append(i)
                self.comp_of[i] = None
        # Per component with decisions, the line-level rules on its lines in application
        # order, each with its lines there.
        split: dict[int, dict[int, list[int]]] = {c: {} for c in roots}
        comp_of = self.comp_of
        searched = {i for c in roots for i in self.lines[c]}
        for rank in line_rules:
            lines = eligible[rank]
            if searched.isdisjoint(lines):
                continue
            for i in lines:
                home = comp_of[i]
                if home is not None:
                    into = split[home]
                    if rank in into:
                        into[rank].append(i)
                    else:
                        into[rank] = [i]
        self.local = {c: {r: tuple(lines) for r, lines in split[c].items()} for c in roots}
        self.work = {c: sum(map(len, split[c].values())) for c in roots}
        self.spend_lines: dict[int | None, list[list[int]]] = {
            c: [[] for _ in self.basket] for c in [*roots, None]
        }
        for k, rank in enumerate(self.basket):
            for i in eligible[rank]:
                self.spend_lines[comp_of[i]][k].append(i)
        self.cache: dict[tuple[int, frozenset[Unit]], _Part] = {}
        self.weight = {u: 1 << (len(self.units) - 1 - j) for j, u in enumerate(self.units)}

    def _key(self, rank: int, i: int) -> int:
        """The line naming the unit of decided rule `rank` that line `i` belongs to."""
        return self.keys[rank, i]

    def _unit_keys(self, decided: Sequence[int]) -> dict[tuple[int, int], int]:
        """Per decided rule and line: the line itself, or for a rule coupling lines the
        first of the lines it couples (per item for a plain multi-buy)."""
        ids = self.ev.ids
        keys: dict[tuple[int, int], int] = {}
        for rank in decided:
            if rank not in self.coupling:
                for i in self.ev.eligible[rank]:
                    keys[rank, i] = i
                continue
            # The line with the smallest id names a group, so nothing depends on the
            # order of the lines in the basket.
            eligible = sorted(self.ev.eligible[rank], key=ids.__getitem__)
            if self.ev.rules[rank].pooled_per_item:
                first: dict[str, int] = {}
                for i in eligible:
                    keys[rank, i] = first.setdefault(self.ev.lines[i].item.item_id, i)
            else:
                for i in eligible:
                    keys[rank, i] = eligible[0]
        return keys

    def exact(self) -> bool:
        """Whether `best` will try every combination (see the bound)."""
        return len(self.units) <= MAX_EXACT_DECISIONS and self._exact_cost() <= self.budget.left

    def _exact_cost(self) -> int:
        return sum((1 << len(self.choices[c])) * self.work[c] for c in self.components)

    def best(self) -> Evaluator:
        """An evaluator restricted to the best combination found; run it over `order`.

        The line stages of that combination, already evaluated part by part, are handed
        to it (`Evaluator.seed`), so running it over `order` costs only the basket stage.
        """
        # With every unit on, each component's line stages are those of the whole basket
        # (components are independent), and the lines without decisions have no others.
        self.all_on = self.ev.line_stage(self.order)
        self.fixed = self._extract(self.all_on, None)
        best = self._exhaustive() if self.exact() else self._coordinate_search()
        on = best[2]
        eligible = dict(self.ev.eligible)
        for rank in self.decided:
            eligible[rank] = tuple(i for i in eligible[rank] if (rank, self._key(rank, i)) in on)
        chosen = self.ev.restricted({r: lines for r, lines in eligible.items() if lines})
        parts = [self.cache.get((c, on.intersection(self.choices[c]))) for c in self.components]
        w = Work(self.ev.bases)
        for part in [self.fixed, *parts]:
            if part is None:
                return chosen
            for i, net in part.nets:
                w.net[i] = net
            w.disc.update(part.disc)
            w.shares.update(part.shares)
            w.basket_totals.extend(part.basket_totals)
            w.claimed.update(part.claimed)
        # Exclusive rules run first, by rank: so do their basket totals.
        w.basket_totals.sort()
        chosen.seed(self.order, w)
        return chosen

    def _exhaustive(self) -> tuple[int, int, frozenset[Unit]]:
        """(total, -score, units on) of the best of all combinations.

        Every subset of every component is evaluated, as the bound promises and charges;
        the combinations of those parts are then walked depth first, skipping a branch
        when even its best case (each remaining component at its lowest net, each basket
        rule at its reward for the highest spends) costs more than the best total so far.
        Each combination has its own score, so the best is the same in any walk order.
        """
        options: list[list[tuple[_Part, frozenset[Unit], int]]] = []
        for c in self.components:
            choices = self.choices[c]
            states = []
            for j in range(1 << len(choices)):
                on = frozenset(u for k, u in enumerate(choices) if j >> k & 1)
                states.append((self._part(c, on), on, self._score(on)))
            options.append(states)
        ev, basket = self.ev, self.basket
        rules = [ev.rules[r] for r in basket]
        depth = len(options)
        # Best cases of the components from j on: lowest net total, highest spends.
        low_net = [0] * (depth + 1)
        high_spend = [[0] * len(basket) for _ in range(depth + 1)]
        for j in range(depth - 1, -1, -1):
            low_net[j] = low_net[j + 1] + min(p.net_total for p, _, _ in options[j])
            high_spend[j] = [
                high_spend[j + 1][k] + max(p.spends[k] for p, _, _ in options[j])
                for k in range(len(basket))
            ]
        best: list[tuple[int, int, frozenset[Unit]]] = []
        chosen: list[_Part] = [self.fixed]
        picked: list[frozenset[Unit]] = []

        def walk(j: int, net: int, spends: list[int], score: int) -> None:
            if j == depth:
                key = (self._total(net, spends, chosen), -score)
                if not best or key < best[0][:2]:
                    best[:] = [(key[0], key[1], frozenset().union(*picked))]
                return
            if best:
                floor = net + low_net[j]
                for k, rule in enumerate(rules):
                    floor -= ev.basket_amount(rule, spends[k] + high_spend[j][k])
                if floor > best[0][0]:
                    return
            for part, on, part_score in options[j]:
                chosen.append(part)
                picked.append(on)
                walk(
                    j + 1,
                    net + part.net_total,
                    [s + p for s, p in zip(spends, part.spends, strict=True)],
                    score + part_score,
                )
                chosen.pop()
                picked.pop()

        walk(0, self.fixed.net_total, list(self.fixed.spends), 0)
        return best[0]

    def _score(self, on: Iterable[Unit]) -> int:
        return sum(self.weight[u] for u in on)

    def _part(self, c: int, on: frozenset[Unit]) -> _Part:
        key = (c, on)
        part = self.cache.get(key)
        if part is None:
            self.budget.left -= self.work[c]
            if len(on) == len(self.choices[c]):
                part = self.cache[key] = self._extract(self.all_on, c)
                return part
            local = self.local[c]
            decided, keys = self.decided, self.keys
            eligible = {}
            for r, lines in local.items():  # in application order
                kept = tuple(i for i in lines if (r, keys[r, i]) in on) if r in decided else lines
                if kept:
                    eligible[r] = kept
            chosen = self.ev.restricted(eligible)
            part = self.cache[key] = self._evaluate(chosen, list(eligible), c)
        return part

    def _evaluate(self, ev: Evaluator, ranks: Sequence[int], c: int) -> _Part:
        """Line stages of component `c` under `ev` (restricted to its lines)."""
        w = Work(ev.bases)
        ev.line_stages(ranks, w)
        net = w.net
        lines = self.lines[c]
        return _Part(
            net_total=sum(map(net.__getitem__, lines)),
            spends=self._spends(net, w.claimed, c),
            nets=tuple((i, net[i]) for i in lines),
            claimed=frozenset(w.claimed),  # only lines of `c` have rules here
            disc=w.disc,
            shares=w.shares,
            basket_totals=w.basket_totals,
        )

    def _spends(self, net: Sequence[int], claimed: set[int], c: int | None) -> tuple[int, ...]:
        """Per basket rule: the spend on its unclaimed lines in component `c`."""
        if not claimed:
            return tuple(sum(map(net.__getitem__, inside)) for inside in self.spend_lines[c])
        return tuple(
            sum(net[i] for i in inside if i not in claimed) for inside in self.spend_lines[c]
        )

    def _extract(self, w: Work, c: int | None) -> _Part:
        """Component `c` (`None`: the lines without decisions) as line stages `w` of the
        whole basket left it: what `_evaluate` gives when `w` used the same rules there."""
        lines = self.lines[c] if c is not None else self.fixed_lines
        net, comp_of, eligible = w.net, self.comp_of, self.ev.eligible
        disc, shares = w.disc, w.shares
        claimed = frozenset(i for i in w.claimed if comp_of[i] == c)
        return _Part(
            net_total=sum(map(net.__getitem__, lines)),
            spends=self._spends(net, w.claimed, c),
            nets=tuple((i, net[i]) for i in lines),
            claimed=claimed,
            disc={i: disc[i] for i in lines if i in disc},
            shares={i: shares[i] for i in lines if i in shares},
            # An exclusive basket rule couples its lines: all are in one component.
            basket_totals=[
                (rank, amount)
                for rank, amount in w.basket_totals
                if comp_of[eligible[rank][0]] == c
            ],
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
            if self.budget.left <= 0:
                break  # every trial below would stop at once
            choices = self.choices[c]
            cost = (1 << len(choices)) * self.work[c]
            if len(choices) <= MAX_EXACT_DECISIONS and cost <= self.budget.left:
                trials: Iterable[frozenset[Unit]] = (
                    frozenset(u for k, u in enumerate(choices) if j >> k & 1)
                    for j in range(1 << len(choices))
                )
            else:
                trials = self._flips(c, state)
            for trial in trials:
                if self.budget.left <= 0:
                    break
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

    def _flips(self, c: int, state: dict[int, frozenset[Unit]]) -> Iterator[frozenset[Unit]]:
        """All units off, then one unit flipped at a time from the best state so far,
        pass after pass while a pass improves it (read `state` lazily)."""
        yield frozenset()
        improved = True
        while improved:
            improved = False
            for unit in self.choices[c]:
                before = state[c]
                yield before ^ {unit}
                improved = improved or state[c] != before
