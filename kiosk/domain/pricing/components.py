"""Exhaustive and component-wise search over decision units (see resolution.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from kiosk.domain.pricing.apply import Evaluator, Work
from kiosk.domain.pricing.walk import Option, Part, Unit, Walk

MAX_EXACT_DECISIONS = 8
MAX_SEARCH_WORK = 1024  # rule-on-line applications per basket, all searches together


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
        basket: list[int] = []
        line_rules: list[int] = []
        for rank in order:
            (line_rules if rules[rank].line_level else basket).append(rank)
        self.basket = basket
        comp = ev.partition(line_rules)
        self.comp = comp
        self.coupling = {r for r in decided if rules[r].coupling}
        self.keys = keys = self._unit_keys(decided)
        self.units: list[Unit] = sorted(
            {(r, keys[r, i]) for r in decided for i in eligible[r]},
            key=lambda u: (u[0], ids[u[1]]),
        )
        roots = {comp[k] for _, k in self.units}
        self.lines: dict[int, list[int]] = {c: [] for c in roots}
        self.fixed_lines: list[int] = []
        comp_of: list[int | None] = []
        for i, c in enumerate(comp):
            if c in roots:
                self.lines[c].append(i)
                comp_of.append(c)
            else:
                self.fixed_lines.append(i)
                comp_of.append(None)
        self.comp_of = comp_of
        # Components in line-id order, so the search does not depend on basket order.
        first_id = {c: min(map(ids.__getitem__, lines)) for c, lines in self.lines.items()}
        self.components = sorted(roots, key=first_id.__getitem__)
        self.choices: dict[int, list[Unit]] = {c: [] for c in self.components}
        for unit in self.units:  # in unit order
            self.choices[comp[unit[1]]].append(unit)
        # Per component with decisions: how many rule-on-line applications its line
        # stages are (what evaluating it costs the budget), and, once it is evaluated
        # under a subset of its units, the line-level rules on its lines (`_local`).
        self.line_rules = line_rules
        per_line = Counter(chain.from_iterable(eligible[r] for r in line_rules))
        self.work = {c: sum(map(per_line.__getitem__, lines)) for c, lines in self.lines.items()}
        self.local: dict[int, list[tuple[int, tuple[int, ...], list[tuple[int, Unit]] | None]]] = {}
        self.cache: dict[tuple[int, frozenset[Unit]], Part] = {}
        self.weight = {u: 1 << (len(self.units) - 1 - j) for j, u in enumerate(self.units)}

    def _prepare_basket_rules(self) -> None:
        """What the search needs of the basket rules (`best` only: a resolver may be
        built just to ask whether it would be `exact`)."""
        ev, basket, comp_of = self.ev, self.basket, self.comp_of
        eligible = ev.eligible
        self.basket_rules = [ev.rules[r] for r in basket]
        self.capped = [rule.line_cap_minor is not None for rule in self.basket_rules]
        self.memos = [ev.amount_memo(r) for r in basket]
        covered = [set(eligible[r]) for r in basket] if len(basket) > 1 else []
        self.overlaps = [
            [j for j in range(k) if not covered[j].isdisjoint(covered[k])]
            for k in range(len(basket))
        ]
        self.spend_lines: dict[int | None, list[list[int]]] = {
            c: [[] for _ in basket] for c in [*self.lines, None]
        }
        for k, rank in enumerate(basket):
            for i in eligible[rank]:
                self.spend_lines[comp_of[i]][k].append(i)

    def _local(self, c: int) -> list[tuple[int, tuple[int, ...], list[tuple[int, Unit]] | None]]:
        """The line-level rules on the lines of component `c`, in application order,
        each with its lines there and, for a decided rule, each line's unit (worked out
        for every component when first needed)."""
        if not self.local:
            split: dict[int, dict[int, list[int]]] = {c: {} for c in self.components}
            eligible, comp_of = self.ev.eligible, self.comp_of
            for rank in self.line_rules:
                for i in eligible[rank]:
                    home = comp_of[i]
                    if home is not None:
                        into = split[home]
                        if rank in into:
                            into[rank].append(i)
                        else:
                            into[rank] = [i]
            decided, keys = self.decided, self.keys
            for home, ranks in split.items():
                self.local[home] = [
                    (
                        r,
                        tuple(lines),
                        [(i, (r, keys[r, i])) for i in lines] if r in decided else None,
                    )
                    for r, lines in ranks.items()
                ]
        return self.local[c]

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
        self._prepare_basket_rules()
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
            for i, net in part.nets.items():
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
        Each combination has its own score, so the best is the same in any walk order:
        the walk tries each component's lowest nets first, which finds a low total early
        and so skips more.
        """
        options: list[list[Option]] = []
        for c in self.components:
            choices = self.choices[c]
            states = []
            for j in range(1 << len(choices)):
                on = frozenset(u for k, u in enumerate(choices) if j >> k & 1)
                states.append((self._part(c, on), on, self._score(on)))
            states.sort(key=_lowest_net_first)
            options.append(states)
        # Components with fewer options first: the walk then calls itself less often,
        # and totals the many options of the last component in one loop.
        options.sort(key=len)
        return Walk(
            options,
            self.fixed,
            memos=self.memos,
            amount=self._amount,
            capped=self.capped,
            overlaps=self.overlaps,
            exact_total=self._exact_total,
        ).run()

    def _score(self, on: Iterable[Unit]) -> int:
        return sum(self.weight[u] for u in on)

    def _part(self, c: int, on: frozenset[Unit]) -> Part:
        key = (c, on)
        part = self.cache.get(key)
        if part is None:
            self.budget.left -= self.work[c]
            if len(on) == len(self.choices[c]):
                part = self.cache[key] = self._extract(self.all_on, c)
                return part
            eligible = {}
            for r, lines, units in self._local(c):  # in application order
                kept = lines if units is None else tuple(i for i, u in units if u in on)
                if kept:
                    eligible[r] = kept
            part = self.cache[key] = self._evaluate(self.ev.part_stages(eligible), c)
        return part

    def _evaluate(self, w: Work, c: int) -> Part:
        """Component `c` as line stages `w` (of rules on its lines only) leave it."""
        net = w.net
        lines = self.lines[c]
        return Part(
            sum(map(net.__getitem__, lines)),
            self._spends(net, w.claimed, c),
            {i: net[i] for i in lines},
            frozenset(w.claimed),  # only lines of `c` have rules here
            w.disc,
            w.shares,
            w.basket_totals,
        )

    def _spends(self, net: Sequence[int], claimed: set[int], c: int | None) -> tuple[int, ...]:
        """Per basket rule: the spend on its unclaimed lines in component `c`."""
        if not claimed:
            return tuple(sum(map(net.__getitem__, inside)) for inside in self.spend_lines[c])
        return tuple(
            sum(net[i] for i in inside if i not in claimed) for inside in self.spend_lines[c]
        )

    def _extract(self, w: Work, c: int | None) -> Part:
        """Component `c` (`None`: the lines without decisions) as line stages `w` of the
        whole basket left it: what `_evaluate` gives when `w` used the same rules there."""
        lines = self.lines[c] if c is not None else self.fixed_lines
        net, comp_of, eligible = w.net, self.comp_of, self.ev.eligible
        disc, shares = w.disc, w.shares
        claimed = frozenset(i for i in w.claimed if comp_of[i] == c)
        return Part(
            sum(map(net.__getitem__, lines)),
            self._spends(net, w.claimed, c),
            {i: net[i] for i in lines},
            claimed,
            {i: disc[i] for i in lines if i in disc},
            {i: shares[i] for i in lines if i in shares},
            # An exclusive basket rule couples its lines: all are in one component.
            [(rank, amount) for rank, amount in w.basket_totals if comp_of[eligible[rank][0]] == c],
        )

    def _amount(self, k: int, spend: int) -> int:
        """`basket_amount` of the k-th basket rule for `spend`, memoised per basket."""
        memo = self.memos[k]
        amount = memo.get(spend)
        if amount is None:
            amount = memo[spend] = self.ev.basket_amount(self.basket_rules[k], spend)
        return amount

    def _total(self, net_total: int, spends: Sequence[int], parts: Sequence[Part]) -> int:
        """The basket total from the parts' sums; allocates only when a clamp may bind."""
        amounts: list[int] = []
        memos, capped, overlaps = self.memos, self.capped, self.overlaps
        for k, spend in enumerate(spends):
            amount = memos[k].get(spend)
            if amount is None:
                amount = self._amount(k, spend)
            # Earlier basket rules take at most their amounts off this rule's lines (an
            # amount never exceeds its own spend, so a rule alone never binds).
            if amount and (
                capped[k] or (overlaps[k] and sum(amounts[j] for j in overlaps[k]) + amount > spend)
            ):
                return self._exact_total(parts)
            amounts.append(amount)
        return net_total - sum(amounts)

    def _exact_total(self, parts: Sequence[Part]) -> int:
        w = Work(self.ev.bases)
        for part in parts:
            for i, net in part.nets.items():
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


def _lowest_net_first(state: tuple[Part, frozenset[Unit], int]) -> int:
    return state[0].net_total
