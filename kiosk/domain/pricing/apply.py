"""Apply one chosen combination of rules to a basket (one candidate of the resolution).

Order (docs/promotions.md, "How a basket is priced"): exclusive rules first, each alone on
the lines' base amounts, claiming the lines it discounts; then, on unclaimed lines, the
price stage (the lowest special/member price per line), group rules (multi-buy, mix &
match; a piece joins at most one group), item rules (percentage/amount off each line),
and basket rules (满减 and basket-wide discounts, each computed on the spend after the
item stage and allocated back onto lines). Within a stage, rules run by rank: priority
descending, then id. Each rule's effect is in `stages.RuleStages`; this module chooses
and memoises what runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.domain.money import Rounding
from kiosk.domain.pricing.anchor import Anchor, components
from kiosk.domain.pricing.lines import PreparedLine
from kiosk.domain.pricing.rules import Rule
from kiosk.domain.pricing.stages import RuleStages
from kiosk.domain.pricing.work import Work

__all__ = ["Evaluator", "Work"]


class Evaluator(RuleStages):
    """Runs selections of rules over one prepared basket.

    Line-stage results and runs are memoised per selection (they are pure, and callers
    only read them): the resolution often asks for the same combination more than once,
    and it hands over line stages it has already evaluated part by part (`seed`).
    """

    __slots__ = (
        "_amounts",
        "_anchor",
        "_parts",
        "_runs",
        "_stages",
        "_totals",
        "bases",
        "eligible",
        "half_up",
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
        self.half_up = rounding is Rounding.HALF_UP
        self.bases = [line.base for line in lines]
        self.ids = [line.line_id for line in lines]
        self._runs: dict[tuple[int, ...], Work] = {}
        self._stages: dict[tuple[int, ...], Work] = {}
        self._totals: dict[tuple[int, ...], int] = {}
        self._anchor: Anchor | None = None
        self._amounts: dict[int, dict[int, int]] = {}
        self._parts: dict[tuple[tuple[int, tuple[int, ...]], ...], Work] = {}

    def restricted(self, eligible: dict[int, tuple[int, ...]]) -> Evaluator:
        """The same basket with rules limited to other (fewer) lines."""
        other = Evaluator.__new__(Evaluator)
        other.lines, other.rules, other.rounding = self.lines, self.rules, self.rounding
        other.half_up, other.bases, other.ids = self.half_up, self.bases, self.ids
        other.eligible = eligible
        other._runs, other._stages, other._totals = {}, {}, {}
        other._anchor = self._anchor
        other._amounts = self._amounts
        other._parts = self._parts
        return other

    def partition(self, line_rules: Sequence[int]) -> list[int]:
        """`components` of the coupling rules among `line_rules` (line-level ranks in
        application order): the anchor's when they are the anchor's."""
        anchor = self._anchor
        if (
            anchor is not None
            and anchor.eligible is self.eligible
            and tuple(line_rules) == anchor.line_rules
        ):
            return anchor.comp
        return components(self, [r for r in line_rules if self.rules[r].coupling])

    def anchor(self, order: Sequence[int]) -> None:
        """Make this evaluator, over `order`, the reference that evaluators restricted
        from it (from now on) compare with, to reuse its line stages where they agree."""
        self._anchor = Anchor(self, order)

    def key(self, selection: Sequence[int]) -> tuple[int, ...]:
        """The ranks of `selection` this evaluator uses: the others change nothing."""
        return tuple(filter(self.eligible.__contains__, selection))

    def part_stages(self, eligible: dict[int, tuple[int, ...]]) -> Work:
        """The line stages of exactly the rules and lines of `eligible` (in application
        order), memoised for the whole basket: the searches of a basket with and without
        an exclusive basket-wide rule evaluate many of the same parts (must not be
        modified)."""
        key = tuple(eligible.items())
        w = self._parts.get(key)
        if w is None:
            w = self._parts[key] = Work(self.bases)
            self.restricted(eligible).line_stages(list(eligible), w)
        return w

    def seed(self, selection: Sequence[int], line_stages: Work) -> None:
        """Record the line-stage result of `selection`, computed elsewhere (the resolver
        evaluates combinations part by part), so that it is not computed again."""
        self._stages[self.key(selection)] = line_stages

    def line_stage(self, selection: Sequence[int]) -> Work:
        """The state after the line stages of `selection` (must not be modified)."""
        return self._line_stage(self.key(selection))

    def _line_stage(self, key: tuple[int, ...]) -> Work:
        w = self._stages.get(key)
        if w is None:
            anchor = self._anchor
            if anchor is not None and key == self.key(anchor.order):
                w = anchor.line_stage_of(self)
            else:
                w = Work(self.bases)
                self.line_stages(key, w)
            self._stages[key] = w
        return w

    def run(self, selection: Sequence[int]) -> Work:
        """Apply the ranks in `selection`, which lists exclusive rules first, by rank,
        then the others by (stage, rank). The result must not be modified."""
        key = self.key(selection)
        w = self._runs.get(key)
        if w is None:
            w = self._line_stage(key).after_line_stages()
            self.basket_stage(self._basket_ranks(key), w)
            self._runs[key] = w
        return w

    def total(self, selection: Sequence[int]) -> int:
        """`run(selection).total()`, computed from the basket rules' amounts alone when
        no clamp can bind: the resolution compares many totals, and only the chosen
        combination needs its basket discounts shared out over its lines."""
        key = self.key(selection)
        w = self._runs.get(key)
        if w is not None:
            return w.total()
        total = self._totals.get(key)
        if total is None:
            total = self._basket_total(key)
            if total is None:
                total = self.run(key).total()
            self._totals[key] = total
        return total

    def _basket_total(self, key: tuple[int, ...]) -> int | None:
        """The total after `basket_stage` over the line stages of `key`, or None when a
        line cap or the clamp to what is left on a rule's lines might bind."""
        stage = self._line_stage(key)
        net, claimed, eligible, rules = stage.net, stage.claimed, self.eligible, self.rules
        # Earlier rules that took something: lines, amount, and their spend when no
        # rule before them shared a line with them (then their shares are known: see
        # `_share_at_most`), else None.
        booked: list[tuple[set[int], int, int | None]] = []
        taken = 0
        for rank in self._basket_ranks(key):
            lines = eligible[rank]
            if claimed and not claimed.isdisjoint(lines):
                lines = tuple(i for i in lines if i not in claimed)
            spend = sum(map(net.__getitem__, lines))
            amount = self.amount(rank, spend)
            if amount <= 0:
                continue
            if rules[rank].line_cap_minor is not None:
                return None
            # What is left on its lines: the spend less at most what the earlier rules
            # sharing a line with it took there (an amount never exceeds its own spend).
            mine = set(lines)
            first = True
            left = spend
            for other, other_amount, other_spend in booked:
                common = mine.intersection(other)
                if common:
                    first = False
                    left -= _share_at_most(other_amount, other_spend, common, net)
            if amount > left:
                return None
            booked.append((mine, amount, spend if first else None))
            taken += amount
        return sum(net) - taken

    def with_exclusive_basket_rule(self, w: Work, rank: int) -> None:
        """Apply exclusive basket-wide rule `rank` to `w` (a `Work.copy()`) as
        `line_stages` does, for lines no other rule of this selection touches."""
        rule = self.rules[rank]
        assert rule.exclusive
        assert rule.is_basket
        free = [i for i in self.eligible[rank] if i not in w.claimed]
        w.claimed.update(self._apply(w, rank, free, w.net, fresh=True))

    def _basket_ranks(self, selection: Sequence[int]) -> list[int]:
        """The ranks `line_stages` leaves to `basket_stage`."""
        rules = self.rules
        return [r for r in selection if rules[r].is_basket and not rules[r].exclusive]

    def line_stages(self, selection: Sequence[int], w: Work) -> list[int]:
        """Apply the exclusive and line-level rules of `selection` (in application
        order) to `w`; return the remaining (non-exclusive basket) ranks for
        `basket_stage`."""
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
            if rule.is_price:
                price_ranks.append(rank)
                continue
            if not prices_done:
                if price_ranks:
                    self._price_stage(w, price_ranks)
                prices_done = True
            if rule.is_basket:
                later.append(rank)
                continue
            if claimed and not claimed.isdisjoint(lines):
                lines = tuple(i for i in lines if i not in claimed)
            if rule.is_item:
                self._item(w, rank, rule, lines)
            else:
                self._group(w, rank, lines, fresh=False)
        if not prices_done and price_ranks:
            self._price_stage(w, price_ranks)
        return later

    def basket_stage(self, ranks: Sequence[int], w: Work) -> None:
        """Basket rules on unclaimed lines, each computed on the spend after line-level
        discounts (not on each other), capped at what is left on its lines."""
        stage_net = list(w.net)
        w.stage_net = stage_net
        eligible = self.eligible
        claimed = w.claimed
        for rank in ranks:
            lines = eligible.get(rank)
            if lines is not None:
                if claimed and not claimed.isdisjoint(lines):
                    lines = tuple(i for i in lines if i not in claimed)
                self._basket(w, rank, lines, stage_net)


def _share_at_most(amount: int, spend: int | None, common: set[int], net: Sequence[int]) -> int:
    """At most what a basket rule's `amount` puts on the lines `common` of its lines.

    With `spend` known, the rule shared its amount over its lines in proportion to
    `net`, their sum `spend`, each line getting the floor of its part or one more
    (`allocate`); else all of it may be there.
    """
    if spend is None:
        return amount
    return amount * sum(map(net.__getitem__, common)) // spend + len(common)
