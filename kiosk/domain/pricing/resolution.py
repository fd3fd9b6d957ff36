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
price above the shelf price) are dropped first. A decision is taken per *unit*: per line
for a rule that acts on each line alone (an exclusive 20 % off may win one line and
lose another), per group of lines for a rule that couples lines (a mix & match, a
multi-buy per item, a rule with a basket cap). Lines linked by coupling rules form
independent components; each component is evaluated once per subset of its units and
cached, and basket-wide rules are combined from per-component sums (allocating for real
only when a cap could bind). An exclusive basket-wide rule couples every line, so it is
decided first, outside the components (`_search`).

Bound: all searches for one basket share a budget of `components.MAX_SEARCH_WORK`
rule-on-line applications. When there are at most `components.MAX_EXACT_DECISIONS`
units and enumerating them fits the budget, every combination is evaluated, which
yields the lowest total over all combinations. Otherwise the conflicts (exclusive and
group rules) are searched one component at a time (every subset when it fits, else
flipping one unit at a time while that helps), the others held at their best so far,
until the budget is spent; then for up to `MAX_GLOBAL_CHOICES` thresholds the smallest
line discounts are dropped greedily where that reaches a better tier. The result is
never worse than any single rule alone, but may miss the global optimum. Equal totals
go to the combination whose units rank higher (priority, then id, then line id). The
objective is the total of the lines, i.e. before any tax added on top.

Cost: the budget counts rule-on-line applications as if every candidate combination
were evaluated from scratch, and the result is defined by that count. The evaluation
itself is cheaper, and each saving below gives exactly what the plain computation gives
(tests/domain/test_pricing_search.py holds them to it):

- the whole basket is evaluated once with every rule on (the *anchor*,
  `anchor.Anchor`), and any combination reuses the anchor's result on every component
  it leaves unchanged, so only the components a combination changes are evaluated
  again; a component evaluated under the same rules twice (the searches with and
  without an exclusive basket-wide rule share most of them) is evaluated once
  (`Evaluator.part_stages`);
- combinations are compared by their totals, worked out from the basket rules' amounts
  alone when no clamp can bind (`Evaluator.total`); only the chosen one has its basket
  discounts shared out over its lines;
- the exhaustive search evaluates every part it is charged for, then walks the
  combinations of parts (`walk.Walk`), skipping those whose best case (a safe bound)
  costs more than the best total found so far;
- once the budget is spent, no resolver is built: it could try nothing, and would keep
  every decision on (`_search`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.domain.pricing.apply import Evaluator, Work
from kiosk.domain.pricing.components import MAX_EXACT_DECISIONS, Budget, Resolver
from kiosk.domain.pricing.conflicts import Bounds, Cuts, Decisions, decisions
from kiosk.domain.pricing.rules import Rule

MAX_GLOBAL_CHOICES = 3


def resolve(ev: Evaluator, order: Sequence[int], bounds: Bounds) -> Work:
    """The evaluation of the combination with the lowest total found."""
    found = decisions(ev, bounds, order)
    if not found.all():
        return ev.run(order)  # all on: provably no worse than any other combination
    ev.anchor(order)  # combinations differ from all-on on few lines: share the rest
    work = _search(ev, order, bounds, Budget(), found).run(order)
    slack = sum(ev.bases) - work.total()
    for rank in order:  # never worse than a single rule alone (most are skipped unrun)
        if bounds.saving(rank) > slack and ev.total([rank]) < work.total():
            work = ev.run([rank])
            slack = sum(ev.bases) - work.total()
    return work


def _search(
    ev: Evaluator,
    order: Sequence[int],
    bounds: Bounds,
    budget: Budget,
    found: Decisions | None = None,
    *,
    cuts: Cuts | None = None,
) -> Evaluator:
    """An evaluator restricted to the best combination found.

    An exclusive basket-wide rule (an exclusive coupon, say) couples every line it
    covers, so it is decided first: either it is off, or it alone takes its lines and
    the rest of the basket is searched without them (the first `MAX_GLOBAL_CHOICES`
    such rules by rank; the others stay off). When all decisions together are too many
    to try every combination, the conflicts are searched and the 满减 tiers are then
    chased greedily (`_reach_tiers`).
    """
    if found is None:
        found = decisions(ev, bounds, order, cuts)
    everything = found.all()
    if not everything:
        return ev
    rules = ev.rules
    wide = [r for r in found.core if rules[r].exclusive and rules[r].is_basket]
    if wide:
        return _weigh_wide(ev, order, bounds, budget, wide, cuts=found.cuts)
    if budget.left <= 0:
        # Nothing left to spend: a resolver would try no combination and keep every
        # decision on, which is `ev` itself (its searches would only charge more).
        return _reach_tiers(ev, ev, order, found.crossing)
    # Every decided rule has a unit on each of its lines, so more rules than the exact
    # bound allows cannot be searched exactly: do not build that resolver at all.
    if len(everything) <= MAX_EXACT_DECISIONS:
        full = Resolver(ev, order, everything, budget)
        if full.exact():
            return full.best()
    chosen = Resolver(ev, order, found.core, budget).best() if found.core else ev
    return _reach_tiers(ev, chosen, order, found.crossing)


def _weigh_wide(
    ev: Evaluator,
    order: Sequence[int],
    bounds: Bounds,
    budget: Budget,
    wide: Sequence[int],
    *,
    cuts: Cuts | None,
) -> Evaluator:
    # `off` is the basket less the wide rules, `rest` that less every rule on some
    # lines: on the lines left, both have the same other rules, so `cuts` holds.
    off = ev.restricted({r: lines for r, lines in ev.eligible.items() if r not in wide})
    off_order = [r for r in order if r not in wide]
    off.anchor(off_order)  # every search below looks at `off`, less some lines
    candidates = []
    for rank in wide[:MAX_GLOBAL_CHOICES]:
        taken = set(ev.eligible[rank])
        rest = off.restricted(
            {
                r: kept
                for r, lines in off.eligible.items()
                if (
                    kept := lines
                    if taken.isdisjoint(lines)
                    else tuple(i for i in lines if i not in taken)
                )
            }
        )
        rest_order = [r for r in order if r in rest.eligible]
        best_rest = _search(rest, rest_order, bounds, budget, cuts=cuts)
        candidate = ev.restricted({**best_rest.eligible, rank: ev.eligible[rank]})
        # Its line stages are those of the rest plus `rank` alone on the lines it takes,
        # which no rule of the rest touches: no need to evaluate them again.
        staged = best_rest.line_stage(rest_order).copy()
        candidate.with_exclusive_basket_rule(staged, rank)
        staged.basket_totals.sort()  # exclusive rules apply by rank
        candidate.seed(order, staged)
        candidates.append(candidate)
    candidates.append(_search(off, off_order, bounds, budget, cuts=cuts))
    return min(candidates, key=lambda c: c.total(order))


def _reach_tiers(
    ev: Evaluator, chosen: Evaluator, order: Sequence[int], crossing: dict[int, set[int]]
) -> Evaluator:
    """For each 满减 whose next tier is within reach of the undiscounted lines, try
    dropping the smallest line discounts on its lines until its spend reaches that tier
    (the first `MAX_GLOBAL_CHOICES` thresholds by rank); keep what lowers the total."""
    best, best_total = chosen, chosen.total(order)
    for rank in sorted(crossing)[:MAX_GLOBAL_CHOICES]:
        rule = ev.rules[rank]
        w = best.line_stage(order)  # memoised: the line stages of the best so far
        lines = [i for i in best.eligible.get(rank, ()) if i not in w.claimed]
        spend = sum(w.stage_net[i] for i in lines)
        reachable = sum(ev.lines[i].base for i in lines)
        target = _next_tier(rule, spend, reachable)
        if target is None:
            continue
        drops = sorted(
            (off, ev.ids[i], r, i)
            for i in lines
            for r, off in w.disc.get(i, ())
            if r in crossing[rank] and r in best.eligible
        )
        taken: list[tuple[int, int]] = []
        gained = 0
        for off, _id, r, i in drops:
            if gained >= target - spend:
                break
            taken.append((r, i))
            gained += off
        if gained < target - spend:
            continue
        eligible = dict(best.eligible)
        for r, i in taken:
            eligible[r] = tuple(j for j in eligible[r] if j != i)
        candidate = ev.restricted({r: lines for r, lines in eligible.items() if lines})
        total = candidate.total(order)
        if total < best_total:
            best, best_total = candidate, total
    return best


def _next_tier(rule: Rule, spend: int, reachable: int) -> int | None:
    """The smallest spend above `spend`, at most `reachable`, that earns more."""
    now = rule.threshold_reward(spend)
    if rule.repeat:
        step = rule.tiers[0].spend_minor
        target = (spend // step + 1) * step
        return target if target <= reachable and rule.threshold_reward(target) > now else None
    for tier in rule.tiers:
        if spend < tier.spend_minor <= reachable and tier.off_minor > now:
            return tier.spend_minor
    return None
