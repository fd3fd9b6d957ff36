"""The exhaustive search's walk over the combinations of the components' parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

# (rank, line): whether a decided rule is used on that line, or, for a rule coupling
# lines, on the group of lines that line names (see Resolver._unit_keys).
Unit = tuple[int, int]


class Part:
    """One component evaluated under one subset of its decisions (read only; a plain
    slotted class: the search builds one per subset it evaluates)."""

    __slots__ = ("basket_totals", "claimed", "disc", "net_total", "nets", "shares", "spends")

    def __init__(  # noqa: PLR0917 - built once per subset: positional is cheapest
        self,
        net_total: int,
        spends: tuple[int, ...],  # per basket rule: spend on its unclaimed lines here
        nets: dict[int, int],  # line -> net, for the exact basket computation
        claimed: frozenset[int],
        disc: dict[int, list[tuple[int, int]]],  # line -> its line discounts
        shares: dict[int, list[tuple[int, int]]],  # shares of exclusive basket rules
        basket_totals: list[tuple[int, int]],  # (rank, amount) of those rules, by rank
    ) -> None:
        self.net_total = net_total
        self.spends = spends
        self.nets = nets
        self.claimed = claimed
        self.disc = disc
        self.shares = shares
        self.basket_totals = basket_totals


# A component's option: its part under one subset of its units, the subset, its score.
Option = tuple[Part, frozenset[Unit], int]


class Walk:
    """Depth first over one option per component, skipping a branch when even its best
    case costs more than the best total so far (see `Resolver._exhaustive`).

    The total of a combination is its nets less each basket rule's amount for its
    spends, as `Resolver._total` computes it; the last component's options are
    totalled here, in one loop, as they are most of the combinations. A class rather
    than a recursive closure, which would be a reference cycle that keeps every part
    alive until the garbage collector finds it.
    """

    __slots__ = (
        "amount",
        "amounts",
        "best",
        "capped",
        "chosen",
        "depth",
        "exact_total",
        "high_spend",
        "low_net",
        "memos",
        "options",
        "overlaps",
        "picked",
        "stable",
        "varying",
    )

    def __init__(
        self,
        options: list[list[Option]],
        fixed: Part,
        *,
        memos: Sequence[dict[int, int]],
        amount: Callable[[int, int], int],
        capped: Sequence[bool],
        overlaps: Sequence[Sequence[int]],
        exact_total: Callable[[Sequence[Part]], int],
    ) -> None:
        self.options = options
        self.depth = depth = len(options)
        self.memos = memos
        self.amount = amount  # memos[k][spend], computed and memoised when missing
        self.capped = capped
        self.overlaps = overlaps
        self.exact_total = exact_total
        self.amounts = [0] * len(memos)
        # Best cases of the components from j on: lowest net total, highest spends.
        rules = range(len(memos))
        self.low_net = low_net = [0] * (depth + 1)
        self.high_spend = high_spend = [[0] * len(memos) for _ in range(depth + 1)]
        for j in range(depth - 1, -1, -1):
            low_net[j] = low_net[j + 1] + min(p.net_total for p, _, _ in options[j])
            high_spend[j] = [
                high_spend[j + 1][k] + max(p.spends[k] for p, _, _ in options[j]) for k in rules
            ]
        # The basket rules whose spend the last component's options change, and those
        # whose clamp reads the amount of one of them (`leaves`), in order; the others,
        # whose clamps then read only the others' amounts.
        last = options[-1] if options else []
        varying: list[int] = []
        for k in rules:
            if len({p.spends[k] for p, _, _ in last}) > 1 or not set(varying).isdisjoint(
                overlaps[k]
            ):
                varying.append(k)
        self.varying = varying
        self.stable = [k for k in rules if k not in varying]
        self.best: tuple[int, int, frozenset[Unit]] | None = None
        self.chosen: list[Part] = [fixed]
        self.picked: list[frozenset[Unit]] = []

    def run(self) -> tuple[int, int, frozenset[Unit]]:
        """(total, -score, units on) of the best combination."""
        fixed = self.chosen[0]
        self.visit(0, fixed.net_total, list(fixed.spends), 0)
        assert self.best is not None
        return self.best

    def visit(self, j: int, net: int, spends: list[int], score: int) -> None:
        best = self.best
        if j == self.depth:  # no components at all
            key = (self.total(net, spends, None), -score)
            if best is None or key < best[:2]:
                self.best = (key[0], key[1], frozenset().union(*self.picked))
            return
        if best is not None:
            floor = net + self.low_net[j]
            memos, high = self.memos, self.high_spend[j]
            for k, spend in enumerate(spends):
                most = spend + high[k]
                amount = memos[k].get(most)
                floor -= self.amount(k, most) if amount is None else amount
            if floor > best[0]:
                return
        if j == self.depth - 1:
            self.leaves(net, spends, score)
            return
        chosen, picked, visit = self.chosen, self.picked, self.visit
        for part, on, part_score in self.options[j]:
            chosen.append(part)
            picked.append(on)
            visit(
                j + 1,
                net + part.net_total,
                [s + p for s, p in zip(spends, part.spends, strict=True)],
                score + part_score,
            )
            chosen.pop()
            picked.pop()

    def leaves(self, net: int, spends: list[int], score: int) -> None:
        """Every option of the last component, with the others as chosen: the basket
        rules whose spends its options do not change are totalled once for them all."""
        memos, amounts, capped, overlaps = self.memos, self.amounts, self.capped, self.overlaps
        last = self.options[-1]
        fixed_spends = last[0][0].spends
        # A clamp that may bind makes every total exact (`total`); the stable rules'
        # clamps are the same for every option.
        exact = False
        for k in self.stable:
            spend = spends[k] + fixed_spends[k]
            amount = memos[k].get(spend)
            if amount is None:
                amount = self.amount(k, spend)
            if amount and (
                capped[k] or (overlaps[k] and sum(amounts[j] for j in overlaps[k]) + amount > spend)
            ):
                exact = True
            amounts[k] = amount
            net -= amount
        varying = self.varying
        # At best each varying rule earns its amount for its highest spend: an option
        # whose nets alone cost more than the best total so far cannot win, nor can the
        # options after it (by net).
        most = self.high_spend[-2]
        bonus = 0
        for k in varying:
            spend = spends[k] + most[k]
            amount = memos[k].get(spend)
            bonus += self.amount(k, spend) if amount is None else amount
        best = self.best
        for part, on, part_score in last:
            if best is not None and net + part.net_total - bonus > best[0]:
                break
            if exact:
                key_total = self.exact_total([*self.chosen, part])
            else:
                key_total = net + part.net_total
                more = part.spends
                for k in varying:
                    spend = spends[k] + more[k]
                    amount = memos[k].get(spend)
                    if amount is None:
                        amount = self.amount(k, spend)
                    if amount and (
                        capped[k]
                        or (
                            overlaps[k]
                            and sum(map(amounts.__getitem__, overlaps[k])) + amount > spend
                        )
                    ):
                        key_total = self.exact_total([*self.chosen, part])
                        break
                    amounts[k] = amount
                    key_total -= amount
            key_score = -(score + part_score)
            if (
                best is None
                or key_total < best[0]
                or (key_total == best[0] and key_score < best[1])
            ):
                best = self.best = (key_total, key_score, frozenset().union(*self.picked, on))

    def total(self, net: int, spends: list[int], last: Part | None) -> int:
        """The basket total of the chosen parts (and `last`); allocates only when a
        clamp may bind (`Resolver._total`)."""
        memos, amounts, capped, overlaps = self.memos, self.amounts, self.capped, self.overlaps
        more = last.spends if last is not None else None
        for k, before in enumerate(spends):
            spend = before if more is None else before + more[k]
            amount = memos[k].get(spend)
            if amount is None:
                amount = self.amount(k, spend)
            # Earlier basket rules take at most their amounts off this rule's lines (an
            # amount never exceeds its own spend, so a rule alone never binds).
            if amount:
                if capped[k]:
                    return self.exact_total(self.chosen if last is None else [*self.chosen, last])
                over = overlaps[k]
                if over:
                    taken = amount
                    for earlier in over:
                        taken += amounts[earlier]
                    if taken > spend:
                        return self.exact_total(
                            self.chosen if last is None else [*self.chosen, last]
                        )
            amounts[k] = amount
            net -= amount
        return net
