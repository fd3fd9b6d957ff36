"""Sharing the whole basket's evaluation with the combinations that differ from it on a
few lines (see resolution.py, "Cost")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.domain.pricing.work import Work

if TYPE_CHECKING:
    from kiosk.domain.pricing.apply import Evaluator


class Anchor:
    """The whole basket's line stages over `order` with every rule on, by component.

    Lines linked by a rule whose effect on one line depends on the others (a group
    deal, a basket cap, an exclusive basket-wide rule) form a component; the line stages
    of one component do not depend on any other. An evaluator restricted from the
    anchored one (its rules on the same or fewer lines) therefore shares the anchor's
    results on every component where it has the same rules, and only the components it
    changed are evaluated again (`line_stage_of`).

    The anchor keeps its own copy of the anchored evaluator, not the evaluator that
    holds it: without a reference cycle, a basket's evaluations are freed as soon as
    pricing returns instead of waiting for the garbage collector.
    """

    def __init__(self, ev: Evaluator, order: Sequence[int]) -> None:
        self.ev = ev.restricted(ev.eligible)
        self.eligible = ev.eligible  # identifies the anchored evaluator
        self.order = ev.key(order)
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
        if other.eligible is self.eligible:
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
    lines, rules, eligible = ev.lines, ev.rules, ev.eligible

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rank in coupling:
        per_item = rules[rank].pooled_per_item
        first: dict[str, int] = {}
        for i in eligible[rank]:
            j = first.setdefault(lines[i].item.item_id if per_item else "", i)  # a multi-buy
            if j != i:  # pools per item; the first line of a pool starts it
                parent[root(i)] = root(j)
    return [i if parent[i] == i else root(i) for i in range(len(parent))]
