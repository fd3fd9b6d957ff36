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

    def after_line_stages(self) -> Work:
        """A copy of this line-stage result for a basket stage to run on: the nets are
        copied; discounts and claims are shared, as the basket stage only reads them."""
        w = Work.__new__(Work)
        w.net = list(self.net)
        w.disc, w.claimed, w.used, w.unit = self.disc, self.claimed, self.used, self.unit
        w.shares, w.basket_totals = {}, []
        w.stage_net = w.net
        return w


class Evaluator:
    """Runs selections of rules over one prepared basket.

    `run` results are memoised per selection (they are pure, and callers only read
    them): the resolution often asks for the same combination more than once.
    """

    __slots__ = ("_runs", "_seeds", "bases", "eligible", "ids", "lines", "rounding", "rules")

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
        self._seeds: dict[tuple[int, ...], Work] = {}

    def restricted(self, eligible: dict[int, tuple[int, ...]]) -> Evaluator:
        """The same basket with rules limited to other (fewer) lines."""
        other = Evaluator.__new__(Evaluator)
        other.lines, other.rules, other.rounding = self.lines, self.rules, self.rounding
        other.bases, other.ids = self.bases, self.ids
        other.eligible = eligible
        other._runs, other._seeds = {}, {}
        return other

    def seed(self, selection: Sequence[int], line_stages: Work) -> None:
        """Record the line-stage result of `selection`, computed elsewhere (the resolver
        evaluates combinations part by part), so that `run` need not recompute it."""
        self._seeds[tuple(selection)] = line_stages

    def run(self, selection: Sequence[int]) -> Work:
        """Apply the ranks in `selection`, which lists exclusive rules first, by rank,
        then the others by (stage, rank). The result must not be modified."""
        key = tuple(selection)
        w = self._runs.get(key)
        if w is None:
            seeded = self._seeds.get(key)
            if seeded is not None:
                w = seeded.after_line_stages()
                later = self._basket_ranks(key)
            else:
                w = Work(self.bases)
                later = self.line_stages(key, w)
            self.basket_stage(later, w)
            self._runs[key] = w
        return w

    def _basket_ranks(self, selection: Sequence[int]) -> list[int]:
        """The ranks `line_stages` leaves to `basket_stage`."""
        rules, eligible = self.rules, self.eligible
        return [
            r
            for r in selection
            if r in eligible and not rules[r].exclusive and rules[r].stage is _BASKET
        ]

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
            if claimed:
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

    def _free(self, w: Work, rank: int) -> Sequence[int]:
        if not w.claimed:
            return self.eligible[rank]
        return [i for i in self.eligible[rank] if i not in w.claimed]

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
        pools: dict[str, list[tuple[int, str, str, int]]] = {}
        per_item = rule.kind is Kind.MULTI_BUY
        used, units, net, plines = w.used, w.unit, w.net, self.lines
        for i in lines:
            line = plines[i]
            left = line.quantity - used.get(i, 0)
            if left <= 0:
                continue
            # An exclusive rule sees the shelf price; otherwise a piece is worth its price
            # after the price stage, fixed before any group takes it.
            unit = line.unit_price if fresh else units.setdefault(i, net[i] // line.quantity)
            item_id = line.item.item_id
            piece = (-unit, item_id, line.line_id, i)
            key = item_id if per_item else ""
            pool = pools.get(key)
            if pool is None:
                pools[key] = [piece] * left
            else:
                pool.extend([piece] * left)
        groups: list[tuple[int, str, int, list[tuple[int, str, str, int]]]] = []
        size = rule.quantity
        free = rule.free
        for key, pool in pools.items():
            if len(pool) < size:
                continue
            pool.sort()  # dearest first; ties by item and line id, never by basket order
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
        remaining = sum(net[i] for i in lines)
        amount = min(self.basket_amount(rule, sum(spend_net[i] for i in lines)), remaining)
        if amount <= 0:
            return set()
        shares = allocate(amount, [net[i] for i in lines], [self.ids[i] for i in lines])
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
