"""Apply one chosen combination of rules to a basket (one candidate of the resolution).

Order (docs/promotions.md, "How a basket is priced"): exclusive rules first, each alone on
the lines' base amounts, claiming the lines it discounts; then, on unclaimed lines, the
price stage (the lowest special/member price per line), group rules (multi-buy, mix &
match; a piece joins at most one group), item rules (percentage/amount off each line),
and basket rules (满减 and basket-wide discounts, each computed on the spend after the
item stage and allocated back onto lines). Within a stage, rules run by rank: priority
descending, then id.

This is the innermost code of pricing (the resolution evaluates many combinations per
basket), so the common cases are written as flat loops over integers; the general
cases (exclusive rules, basket caps) go through `_record`, the reference semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from kiosk.domain.catalogue import Item, Unit
from kiosk.domain.money import Rounding
from kiosk.domain.pricing.allocation import allocate, round_ratio
from kiosk.domain.pricing.rules import Kind, Rule, Stage

_PRICE, _GROUP, _ITEM, _BASKET = Stage.PRICE, Stage.GROUP, Stage.ITEM, Stage.BASKET


@dataclass(slots=True)
class PreparedLine:
    """A validated basket line with its base amount (before any discount).

    Read-only once built (not frozen only because pricing builds one per line on every
    scan, and a frozen dataclass is several times slower to construct).
    """

    index: int
    line_id: str
    item: Item
    quantity: int
    weight_g: int | None
    label_priced: bool
    unit_price: int  # per piece, or per kg for weighed items
    base: int
    weighed: bool = field(init=False)
    countable: bool = field(init=False)  # whether its pieces join multi-buys and mix & match

    def __post_init__(self) -> None:
        self.weighed = self.item.unit is Unit.KG and not self.label_priced
        self.countable = self.item.unit is Unit.EACH and not self.label_priced

    def amount_at(self, price: int, rounding: Rounding) -> int:
        """The line's amount at `price` per piece or per kg (weight rounded once)."""
        if self.weighed:
            assert self.weight_g is not None
            return round_ratio(self.weight_g * price, 1000, rounding)
        return price * self.quantity


def percent_of(amount: int, percent: Fraction, rounding: Rounding) -> int:
    """`percent` % of `amount`, rounded once."""
    return round_ratio(amount * percent.numerator, 100 * percent.denominator, rounding)


class Work:
    """Mutable state of one evaluation: nets, discounts and what each line is used for."""

    __slots__ = (
        "basket_totals",
        "claimed",
        "disc",
        "net",
        "shares",
        "stage_net",
        "unit",
        "used",
    )

    def __init__(self, bases: Sequence[int]) -> None:
        self.net = list(bases)
        self.disc: dict[int, list[tuple[int, int]]] = {}  # line -> [(rank, amount)]
        self.shares: dict[int, list[tuple[int, int]]] = {}  # basket-rule shares per line
        self.basket_totals: list[tuple[int, int]] = []
        self.used: dict[int, int] = {}  # pieces of a line already in a group
        self.unit: dict[int, int] = {}  # piece value after the price stage
        self.claimed: set[int] = set()
        self.stage_net: list[int] = self.net  # nets after the line stages (see basket_stage)

    def total(self) -> int:
        return sum(self.net)

    def copy(self) -> Work:
        """A copy whose nets, basket shares and claims can change; discounts and pieces
        used are shared, so only basket rules may be applied to it."""
        w = self.after_line_stages()
        w.claimed = set(self.claimed)
        return w

    def after_line_stages(self) -> Work:
        """A copy of this line-stage result for a basket stage to run on: nets and basket
        shares (exclusive basket rules book theirs in the line stages) are copied;
        discounts and claims are shared, as the basket stage only reads them."""
        w = Work.__new__(Work)
        w.net = list(self.net)
        w.disc, w.claimed, w.used, w.unit = self.disc, self.claimed, self.used, self.unit
        w.shares = {i: list(entries) for i, entries in self.shares.items()}
        w.basket_totals = list(self.basket_totals)
        w.stage_net = w.net
        return w


class Evaluator:
    """Runs selections of rules over one prepared basket.

    Line-stage results and runs are memoised per selection (they are pure, and callers
    only read them): the resolution often asks for the same combination more than once,
    and it hands over line stages it has already evaluated part by part (`seed`).
    """

    __slots__ = (
        "_anchor",
        "_runs",
        "_stages",
        "bases",
        "eligible",
        "ids",
        "lines",
        "rounding",
        "rules",
    )

    def __init__(
        self,
        lines: Sequence[PreparedLine],
        rules: Sequence[Rule],
        eligible: dict[int, tuple[int, ...]],
        rounding: Rounding,
    ) -> None:
        self.lines = lines
        self.rules = rules
        self.eligible = eligible
        self.rounding = rounding
        self.bases = [line.base for line in lines]
        self.ids = [line.line_id for line in lines]
        self._runs: dict[tuple[int, ...], Work] = {}
        self._stages: dict[tuple[int, ...], Work] = {}
        self._anchor: Anchor | None = None

    def restricted(self, eligible: dict[int, tuple[int, ...]]) -> Evaluator:
        """The same basket with rules limited to other (fewer) lines."""
        other = Evaluator.__new__(Evaluator)
        other.lines, other.rules, other.rounding = self.lines, self.rules, self.rounding
        other.bases, other.ids = self.bases, self.ids
        other.eligible = eligible
        other._runs, other._stages = {}, {}
        other._anchor = self._anchor
        return other

    def partition(self, line_rules: Sequence[int]) -> list[int]:
        """`components` of the coupling rules among `line_rules` (line-level ranks in
        application order): the anchor's when they are the anchor's."""
        anchor = self._anchor
        if anchor is not None and anchor.ev is self and tuple(line_rules) == anchor.line_rules:
            return anchor.comp
        return components(self, [r for r in line_rules if self.rules[r].coupling])

    def anchor(self, order: Sequence[int]) -> None:
        """Make this evaluator, over `order`, the reference that evaluators restricted
        from it (from now on) compare with, to reuse its line stages where they agree."""
        self._anchor = Anchor(self, order)

    def _key(self, selection: Sequence[int]) -> tuple[int, ...]:
        """The ranks of `selection` this evaluator uses: the others change nothing."""
        eligible = self.eligible
        return tuple(r for r in selection if r in eligible)

    def seed(self, selection: Sequence[int], line_stages: Work) -> None:
        """Record the line-stage result of `selection`, computed elsewhere (the resolver
        evaluates combinations part by part), so that it is not computed again."""
        self._stages[self._key(selection)] = line_stages

    def line_stage(self, selection: Sequence[int]) -> Work:
        """The state after the line stages of `selection` (must not be modified)."""
        return self._line_stage(self._key(selection))

    def _line_stage(self, key: tuple[int, ...]) -> Work:
        w = self._stages.get(key)
        if w is None:
            anchor = self._anchor
            if anchor is not None and key == self._key(anchor.order):
                w = anchor.line_stage_of(self)
            else:
                w = Work(self.bases)
                self.line_stages(key, w)
            self._stages[key] = w
        return w

    def run(self, selection: Sequence[int]) -> Work:
        """Apply the ranks in `selection`, which lists exclusive rules first, by rank,
        then the others by (stage, rank). The result must not be modified."""
        key = self._key(selection)
        w = self._runs.get(key)
        if w is None:
            w = self._line_stage(key).after_line_stages()
            self.basket_stage(self._basket_ranks(key), w)
            self._runs[key] = w
        return w

    def with_exclusive_basket_rule(self, w: Work, rank: int) -> None:
        """Apply exclusive basket-wide rule `rank` to `w` (a `Work.copy()`) as
        `line_stages` does, for lines no other rule of this selection touches."""
        rule = self.rules[rank]
        assert rule.exclusive
        assert rule.stage is _BASKET
        free = [i for i in self.eligible[rank] if i not in w.claimed]
        w.claimed.update(self._apply(w, rank, free, w.net, fresh=True))

    def _basket_ranks(self, selection: Sequence[int]) -> list[int]:
        """The ranks `line_stages` leaves to `basket_stage`."""
        rules = self.rules
        return [r for r in selection if not rules[r].exclusive and rules[r].stage is _BASKET]

    def line_stages(self, selection: Sequence[int], w: Work) -> list[int]:
        """Apply the exclusive and line-level rules of `selection` to `w`; return the
        remaining (non-exclusive basket) ranks for `basket_stage`."""
        rules = self.rules
        eligible = self.eligible
        claimed = w.claimed
        price_ranks: list[int] = []
        later: list[int] = []
        prices_done = False
        for rank in selection:
            lines = eligible.get(rank)
            if lines is None:
                continue  # not used on these lines
            rule = rules[rank]
            if rule.exclusive:
                free = [i for i in lines if i not in claimed]
                claimed.update(self._apply(w, rank, free, w.net, fresh=True))
                continue
            stage = rule.stage
            if stage is _PRICE:
                price_ranks.append(rank)
                continue
            if not prices_done:
                self._price_stage(w, price_ranks)
                prices_done = True
            if stage is _BASKET:
                later.append(rank)
                continue
            if claimed and not claimed.isdisjoint(lines):
                lines = tuple(i for i in lines if i not in claimed)
            if stage is _ITEM:
                self._item(w, rank, rule, lines)
            else:
                self._group(w, rank, lines, fresh=False)
        if not prices_done:
            self._price_stage(w, price_ranks)
        return later

    def basket_stage(self, ranks: Sequence[int], w: Work) -> None:
        """Basket rules on unclaimed lines, each computed on the spend after line-level
        discounts (not on each other), capped at what is left on its lines."""
        stage_net = list(w.net)
        w.stage_net = stage_net
        for rank in ranks:
            if rank in self.eligible:
                self._basket(w, rank, self._free(w, rank), stage_net)

    def _free(self, w: Work, rank: int) -> Sequence[int]:
        lines = self.eligible[rank]
        claimed = w.claimed
        if not claimed or claimed.isdisjoint(lines):
            return lines
        return [i for i in lines if i not in claimed]

    def basket_amount(self, rule: Rule, spend: int) -> int:
        """What a basket rule takes off a spend, before the clamp to what is left."""
        if rule.kind is Kind.THRESHOLD:
            amount = rule.threshold_reward(spend)
        elif rule.kind is Kind.PERCENT_OFF:
            numerator, denominator = rule.percent_ratio
            amount = round_ratio(spend * numerator, denominator, self.rounding)
        else:
            assert rule.amount_minor is not None
            amount = rule.amount_minor
        if rule.basket_cap_minor is not None:
            amount = min(amount, rule.basket_cap_minor)
        return max(0, min(amount, spend))

    def _price_stage(self, w: Work, ranks: Sequence[int]) -> None:
        if not ranks:
            return
        best: dict[int, tuple[int, int]] = {}
        claimed = w.claimed
        plines = self.lines
        rounding = self.rounding
        for rank in ranks:  # in rank order: on a tie the higher-ranked rule keeps the line
            rule = self.rules[rank]
            member = rule.member_price
            price = rule.price_minor
            for i in self.eligible[rank]:
                if claimed and i in claimed:
                    continue
                line = plines[i]
                p = line.item.member_price_minor if member else price
                assert p is not None
                if line.weighed:
                    assert line.weight_g is not None
                    off = line.base - round_ratio(line.weight_g * p, 1000, rounding)
                else:
                    off = line.base - p * line.quantity
                if off > 0:
                    held = best.get(i)
                    if held is None or off > held[0]:
                        best[i] = (off, rank)
        net, disc = w.net, w.disc
        for i, (off, rank) in best.items():
            net[i] -= off
            if i in disc:
                disc[i].append((rank, off))
            else:
                disc[i] = [(rank, off)]

    def _price_off(self, rule: Rule, line: PreparedLine) -> int:
        price = line.item.member_price_minor if rule.member_price else rule.price_minor
        assert price is not None
        return line.base - line.amount_at(price, self.rounding)

    def _apply(
        self, w: Work, rank: int, lines: Sequence[int], spend_net: Sequence[int], *, fresh: bool
    ) -> set[int]:
        """Apply one rule to `lines`; return the lines it took part in (for exclusivity)."""
        rule = self.rules[rank]
        if not lines:
            return set()
        stage = rule.stage
        if stage is _PRICE:
            offs = {i: self._price_off(rule, self.lines[i]) for i in lines}
            return self._record(w, rank, {i: off for i, off in offs.items() if off > 0})
        if stage is _GROUP:
            return self._group(w, rank, lines, fresh=fresh)
        if stage is _ITEM:
            return self._record(w, rank, self._item_offs(rule, lines, w))
        return self._basket(w, rank, lines, spend_net)

    def _item(self, w: Work, rank: int, rule: Rule, lines: Sequence[int]) -> None:
        """A non-exclusive item rule: `_record(w, rank, _item_offs(...))`, flattened for
        the usual rule without a basket cap (each line is then independent)."""
        if rule.basket_cap_minor is not None:
            self._record(w, rank, self._item_offs(rule, lines, w))
            return
        net, disc = w.net, w.disc
        cap = rule.line_cap_minor
        if rule.kind is Kind.PERCENT_OFF:
            numerator, denominator = rule.percent_ratio
            rounding = self.rounding
            half_up = rounding is Rounding.HALF_UP
            for i in lines:
                left = net[i]
                if left < 0:  # never happens (nothing takes a line below zero); kept exact
                    wanted = round_ratio(left * numerator, denominator, rounding)
                else:  # round_ratio(left * numerator, denominator, rounding), inlined
                    wanted, remainder = divmod(left * numerator, denominator)
                    twice = 2 * remainder
                    if twice > denominator or (twice == denominator and (half_up or wanted & 1)):
                        wanted += 1
                off = wanted if wanted < left else left
                if cap is not None and off > cap:
                    off = cap
                if off > 0:
                    net[i] = left - off
                    if i in disc:
                        disc[i].append((rank, off))
                    else:
                        disc[i] = [(rank, off)]
            return
        assert rule.amount_minor is not None
        amount = rule.amount_minor
        plines = self.lines
        for i in lines:
            line = plines[i]
            wanted = amount * line.quantity if line.countable else amount
            left = net[i]
            off = wanted if wanted < left else left
            if cap is not None and off > cap:
                off = cap
            if off > 0:
                net[i] = left - off
                if i in disc:
                    disc[i].append((rank, off))
                else:
                    disc[i] = [(rank, off)]

    def _item_offs(self, rule: Rule, lines: Sequence[int], w: Work) -> dict[int, int]:
        net = w.net
        if rule.kind is Kind.PERCENT_OFF:
            numerator, denominator = rule.percent_ratio
            rounding = self.rounding
            return {i: round_ratio(net[i] * numerator, denominator, rounding) for i in lines}
        assert rule.amount_minor is not None
        amount = rule.amount_minor
        return {
            i: amount * (self.lines[i].quantity if self.lines[i].countable else 1) for i in lines
        }

    def _record(self, w: Work, rank: int, offs: dict[int, int]) -> set[int]:
        """Clamp to each line's net and the rule's caps, then book the line discounts."""
        rule = self.rules[rank]
        cap = rule.line_cap_minor
        kept = {}
        net = w.net
        for i, wanted in offs.items():
            off = wanted if wanted < net[i] else net[i]
            if cap is not None and off > cap:
                off = cap
            if off > 0:
                kept[i] = off
        basket_cap = rule.basket_cap_minor
        if basket_cap is not None and sum(kept.values()) > basket_cap:
            keys = list(kept)
            shares = allocate(basket_cap, [kept[i] for i in keys], [self.ids[i] for i in keys])
            kept = dict(zip(keys, shares, strict=True))
        disc = w.disc
        for i, off in kept.items():
            if off > 0:
                net[i] -= off
                if i in disc:
                    disc[i].append((rank, off))
                else:
                    disc[i] = [(rank, off)]
        return {i for i, off in kept.items() if off > 0}

    def _group(self, w: Work, rank: int, lines: Sequence[int], *, fresh: bool) -> set[int]:
        rule = self.rules[rank]
        per_item = rule.kind is Kind.MULTI_BUY
        used, units, net, plines = w.used, w.unit, w.net, self.lines
        # Pieces per pool, as (piece, count) runs: the pieces of one line are identical.
        runs: dict[str, list[tuple[tuple[int, str, str, int], int]]] = {}
        for i in lines:
            line = plines[i]
            left = line.quantity - used.get(i, 0)
            if left <= 0:
                continue
            # An exclusive rule sees the shelf price; otherwise a piece is worth its price
            # after the price stage, fixed before any group takes it.
            unit = line.unit_price if fresh else units.setdefault(i, net[i] // line.quantity)
            item_id = line.item.item_id
            key = item_id if per_item else ""
            run = ((-unit, item_id, line.line_id, i), left)
            held = runs.get(key)
            if held is None:
                runs[key] = [run]
            else:
                held.append(run)
        groups: list[tuple[int, str, int, list[tuple[int, str, str, int]]]] = []
        size = rule.quantity
        free = rule.free
        for key, pool_runs in runs.items():
            if sum(count for _piece, count in pool_runs) < size:
                continue
            # Dearest first; ties by item and line id, never by basket order. Pieces of
            # different lines differ (the line index), so sorting runs sorts pieces.
            pool_runs.sort()
            pool: list[tuple[int, str, str, int]] = []
            for piece, count in pool_runs:
                pool.extend([piece] * count)
            for g in range(len(pool) // size):
                members = pool[g * size : (g + 1) * size]
                if free:
                    saving = -sum(p[0] for p in members[size - free :])
                else:
                    saving = -sum(p[0] for p in members) - (rule.price_minor or 0)
                if saving <= 0:
                    break  # pools are sorted: later groups save no more
                groups.append((saving, key, g, members))
        if not groups:
            return set()
        if rule.max_applications is not None and len(groups) > rule.max_applications:
            groups.sort(key=lambda grp: (-grp[0], grp[1], grp[2]))
            groups = groups[: rule.max_applications]
        offs: dict[int, int] = {}
        for saving, _key, _g, members in groups:
            if free:
                for value, _item, _line, i in members[size - free :]:
                    offs[i] = offs.get(i, 0) - value
            else:
                weights = [-p[0] for p in members]
                for (_v, _item, _line, i), part in zip(
                    members, allocate(saving, weights, [p[2] for p in members]), strict=True
                ):
                    offs[i] = offs.get(i, 0) + part
            for _v, _item, _line, i in members:
                used[i] = used.get(i, 0) + 1
        touched = {p[3] for grp in groups for p in grp[3]}
        self._record(w, rank, offs)
        return touched

    def _basket(
        self, w: Work, rank: int, lines: Sequence[int], spend_net: Sequence[int]
    ) -> set[int]:
        rule = self.rules[rank]
        net = w.net
        weights = list(map(net.__getitem__, lines))
        remaining = sum(weights)
        spend = sum(map(spend_net.__getitem__, lines))
        amount = min(self.basket_amount(rule, spend), remaining)
        if amount <= 0:
            return set()
        shares = allocate(amount, weights, list(map(self.ids.__getitem__, lines)))
        cap = rule.line_cap_minor
        booked = 0
        for i, allocated in zip(lines, shares, strict=True):
            share = allocated if cap is None else min(allocated, cap)
            if share > 0:
                net[i] -= share
                w.shares.setdefault(i, []).append((rank, share))
                booked += share
        w.basket_totals.append((rank, booked))
        return set(lines)


class Anchor:
    """The whole basket's line stages over `order` with every rule on, by component.

    Lines linked by a rule whose effect on one line depends on the others (a group
    deal, a basket cap, an exclusive basket-wide rule) form a component; the line stages
    of one component do not depend on any other. An evaluator restricted from the
    anchored one (its rules on the same or fewer lines) therefore shares the anchor's
    results on every component where it has the same rules, and only the components it
    changed are evaluated again (`line_stage_of`).
    """

    def __init__(self, ev: Evaluator, order: Sequence[int]) -> None:
        self.ev = ev
        self.order = ev._key(order)
        rules = ev.rules
        self.line_rules = tuple(r for r in self.order if rules[r].line_level)
        self._comp: list[int] | None = None
        self._stage: Work | None = None

    @property
    def comp(self) -> list[int]:
        """The component of every line (computed when first needed)."""
        if self._comp is None:
            ev = self.ev
            coupling = [r for r in self.line_rules if ev.rules[r].coupling]
            self._comp = components(ev, coupling)
            self.position = {r: k for k, r in enumerate(self.order)}
            self.comp_ranks: dict[int, list[int]] = {}  # component -> its line-level rules
            comp = self._comp
            for rank in self.line_rules:
                seen: set[int] = set()
                for i in ev.eligible[rank]:
                    c = comp[i]
                    if c not in seen:
                        seen.add(c)
                        self.comp_ranks.setdefault(c, []).append(rank)
        return self._comp

    @property
    def stage(self) -> Work:
        """The anchored evaluator's line stages over `order` (must not be modified)."""
        if self._stage is None:
            self._stage = Work(self.ev.bases)
            self.ev.line_stages(self.order, self._stage)
        return self._stage

    def changed_lines(self, other: Evaluator) -> set[int]:
        """Lines where `other` (restricted from the anchored evaluator) lacks a rule of
        `order` that the anchored evaluator has."""
        mine = self.ev.eligible
        theirs = other.eligible
        changed: set[int] = set()
        for rank in self.order:
            full = mine[rank]
            kept = theirs.get(rank)
            if kept is full:
                continue
            if kept is None:
                changed.update(full)
            elif len(kept) != len(full):  # kept is a subset of full
                keep = set(kept)
                changed.update(i for i in full if i not in keep)
        return changed

    def line_stage_of(self, other: Evaluator) -> Work:
        """`other`'s line stages over `order`: the anchor's on the components `other`
        leaves unchanged, evaluated afresh on the others."""
        stage = self.stage
        if other is self.ev:
            return stage
        changed = self.changed_lines(other)
        if not changed:
            return stage
        comp = self.comp
        dirty = {comp[i] for i in changed}
        bases = self.ev.bases
        w = Work.__new__(Work)
        w.net = list(stage.net)
        for i, c in enumerate(comp):
            if c in dirty:
                w.net[i] = bases[i]
        w.disc = {i: entries for i, entries in stage.disc.items() if comp[i] not in dirty}
        w.shares = {i: entries for i, entries in stage.shares.items() if comp[i] not in dirty}
        anchored = self.ev.eligible
        w.basket_totals = [
            (rank, amount)
            for rank, amount in stage.basket_totals
            if comp[anchored[rank][0]] not in dirty  # an exclusive basket rule: one component
        ]
        w.claimed = {i for i in stage.claimed if comp[i] not in dirty}
        w.used, w.unit = {}, {}
        w.stage_net = w.net
        position = self.position
        ranks = sorted(
            {r for c in dirty for r in self.comp_ranks.get(c, ())}, key=position.__getitem__
        )
        eligible: dict[int, tuple[int, ...]] = {}
        for rank in ranks:
            kept = other.eligible.get(rank)
            if kept:
                inside = tuple(i for i in kept if comp[i] in dirty)
                if inside:
                    eligible[rank] = inside
        other.restricted(eligible).line_stages(list(eligible), w)
        w.basket_totals.sort()  # only exclusive rules book basket totals here, by rank
        return w


def components(ev: Evaluator, coupling: Sequence[int]) -> list[int]:
    """Component id (a root line index) of every line, linking lines of coupling rules."""
    parent = list(range(len(ev.lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rank in coupling:
        per_item = ev.rules[rank].pooled_per_item
        first: dict[str, int] = {}
        for i in ev.eligible[rank]:
            key = ev.lines[i].item.item_id if per_item else ""  # a multi-buy pools per item
            j = first.setdefault(key, i)
            parent[root(i)] = root(j)
    return [root(i) for i in range(len(ev.lines))]
