"""How each kind of rule applies to a basket's lines: the stages of
docs/promotions.md, "How a basket is priced" (used by `apply.Evaluator`).

This is the innermost code of pricing (the resolution evaluates many combinations per
basket), so the common cases are written as flat loops over integers; the general
cases (exclusive rules, basket caps) go through `_record`, the reference semantics.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.domain.money import Rounding
from kiosk.domain.pricing.allocation import allocate, round_ratio
from kiosk.domain.pricing.lines import PreparedLine
from kiosk.domain.pricing.rules import Rule
from kiosk.domain.pricing.work import Work

# A group's pieces: (minus the piece's value, item id, line id, line index).
_Piece = tuple[int, str, str, int]


class RuleStages:
    """The rules' effects on one evaluation (`Work`) of a prepared basket; the basket
    and its rules are the `apply.Evaluator`'s, which this is the base of."""

    __slots__ = ()

    lines: Sequence[PreparedLine]
    rules: Sequence[Rule]
    eligible: dict[int, tuple[int, ...]]
    rounding: Rounding
    half_up: bool
    ids: list[str]
    _amounts: dict[int, dict[int, int]]

    def amount_memo(self, rank: int) -> dict[int, int]:
        """spend -> `basket_amount` of basket rule `rank`, shared by every evaluator of
        this basket: the search asks for the same spends many times."""
        memo = self._amounts.get(rank)
        if memo is None:
            memo = self._amounts[rank] = {}
        return memo

    def amount(self, rank: int, spend: int) -> int:
        """`basket_amount` of basket rule `rank` for `spend` (memoised, `amount_memo`)."""
        memo = self.amount_memo(rank)
        amount = memo.get(spend)
        if amount is None:
            amount = memo[spend] = self.basket_amount(self.rules[rank], spend)
        return amount

    def basket_amount(self, rule: Rule, spend: int) -> int:
        """What a basket rule takes off a spend, before the clamp to what is left."""
        if rule.is_threshold:
            amount = rule.threshold_reward(spend)
        elif rule.is_percent:
            numerator, denominator = rule.percent_ratio
            amount = round_ratio(spend * numerator, denominator, self.rounding)
        else:
            assert rule.amount_minor is not None
            amount = rule.amount_minor
        if rule.basket_cap_minor is not None:
            amount = min(amount, rule.basket_cap_minor)
        return max(0, min(amount, spend))

    def _price_stage(self, w: Work, ranks: Sequence[int]) -> None:
        """The lowest special or member price on each unclaimed line."""
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

    def _apply(
        self, w: Work, rank: int, lines: Sequence[int], spend_net: Sequence[int], *, fresh: bool
    ) -> set[int]:
        """Apply one rule to `lines`; return the lines it took part in (for exclusivity)."""
        rule = self.rules[rank]
        if not lines:
            return set()
        if rule.is_price:
            offs = {i: self._price_off(rule, self.lines[i]) for i in lines}
            return set(self._record(w, rank, {i: off for i, off in offs.items() if off > 0}))
        if rule.is_group:
            return self._group(w, rank, lines, fresh=fresh)
        if rule.is_item:
            return set(self._record(w, rank, self._item_offs(rule, lines, w)))
        return self._basket(w, rank, lines, spend_net)

    def _price_off(self, rule: Rule, line: PreparedLine) -> int:
        price = line.item.member_price_minor if rule.member_price else rule.price_minor
        assert price is not None
        return line.base - line.amount_at(price, self.rounding)

    def _item(self, w: Work, rank: int, rule: Rule, lines: Sequence[int]) -> None:
        """A non-exclusive item rule: `_record(w, rank, _item_offs(...))`, flattened for
        the usual rule without a basket cap (each line is then independent)."""
        if rule.basket_cap_minor is not None:
            self._record(w, rank, self._item_offs(rule, lines, w))
            return
        net, disc = w.net, w.disc
        cap = rule.line_cap_minor
        if rule.is_percent:
            numerator, denominator = rule.percent_ratio
            half_up = self.half_up
            for i in lines:
                left = net[i]
                if left < 0:  # never happens (nothing takes a line below zero); kept exact
                    wanted = round_ratio(left * numerator, denominator, self.rounding)
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
        if rule.is_percent:
            numerator, denominator = rule.percent_ratio
            rounding = self.rounding
            return {i: round_ratio(net[i] * numerator, denominator, rounding) for i in lines}
        assert rule.amount_minor is not None
        amount = rule.amount_minor
        return {
            i: amount * (self.lines[i].quantity if self.lines[i].countable else 1) for i in lines
        }

    def _record(self, w: Work, rank: int, offs: dict[int, int]) -> dict[int, int]:
        """Clamp to each line's net and the rule's caps, then book the line discounts;
        return what it took off each line it discounted."""
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
            kept = {i: off for i, off in zip(keys, shares, strict=True) if off > 0}
        disc = w.disc
        for i, off in kept.items():
            net[i] -= off
            if i in disc:
                disc[i].append((rank, off))
            else:
                disc[i] = [(rank, off)]
        return kept

    def _group(self, w: Work, rank: int, lines: Sequence[int], *, fresh: bool) -> set[int]:
        """A multi-buy or mix & match; return the lines whose pieces joined a group when
        `fresh` (an exclusive rule, on shelf prices), else nothing."""
        rule = self.rules[rank]
        size = rule.quantity
        per_item = rule.is_multi_buy
        used, units, net, plines = w.used, w.unit, w.net, self.lines
        # Lines with pieces left, per pool: an item for a multi-buy, else all of them.
        pools: dict[str, list[tuple[int, int]]] = {}
        for i in lines:
            line = plines[i]
            left = line.quantity - used[i] if i in used else line.quantity
            if left <= 0:
                continue
            key = line.item.item_id if per_item else ""
            held = pools.get(key)
            if held is None:
                pools[key] = [(i, left)]
            else:
                held.append((i, left))
        groups: list[tuple[int, str, int, list[_Piece]]] = []
        free = rule.free
        price = rule.price_minor or 0
        for key, members in pools.items():
            if len(members) == 1:  # one line: its pieces are alike, and so are its groups
                i, left = members[0]
                if left < size:
                    continue
                line = plines[i]
                unit = line.unit_price if fresh else units.setdefault(i, net[i] // line.quantity)
                saving = unit * free if free else unit * size - price
                if saving > 0:
                    grouped = [(-unit, line.item.item_id, line.line_id, i)] * size
                    groups.extend([(saving, key, g, grouped) for g in range(left // size)])
                continue
            if sum(left for _i, left in members) < size:
                continue
            # Pieces as (piece, count) runs: the pieces of one line are identical.
            runs: list[tuple[_Piece, int]] = []
            for i, left in members:
                line = plines[i]
                # An exclusive rule sees the shelf price; otherwise a piece is worth its
                # price after the price stage, fixed before any group takes it (no group
                # has changed the nets of lines whose value is not fixed yet).
                unit = line.unit_price if fresh else units.setdefault(i, net[i] // line.quantity)
                runs.append(((-unit, line.item.item_id, line.line_id, i), left))
            # Dearest first; ties by item and line id, never by basket order. Pieces of
            # different lines differ (the line index), so sorting runs sorts pieces.
            runs.sort()
            pool: list[_Piece] = []
            values: list[int] = []  # minus each piece's value, as in the piece
            for piece, count in runs:
                pool.extend([piece] * count)
                values.extend([piece[0]] * count)
            for start in range(0, len(pool) - size + 1, size):
                end = start + size
                # The cheapest pieces of a group are the free ones.
                saving = -sum(values[end - free : end]) if free else -sum(values[start:end]) - price
                if saving <= 0:
                    break  # pools are sorted: later groups save no more
                groups.append((saving, key, start // size, pool[start:end]))
        if not groups:
            return set()
        if rule.max_applications is not None and len(groups) > rule.max_applications:
            groups.sort(key=lambda grp: (-grp[0], grp[1], grp[2]))
            groups = groups[: rule.max_applications]
        offs: dict[int, int] = {}
        for saving, _key, _g, grouped in groups:
            if free:
                for value, _item, _line, i in grouped[size - free :]:
                    offs[i] = offs.get(i, 0) - value
            else:
                weights = [-p[0] for p in grouped]
                for (_v, _item, _line, i), part in zip(
                    grouped, allocate(saving, weights, [p[2] for p in grouped]), strict=True
                ):
                    offs[i] = offs.get(i, 0) + part
            for _v, _item, _line, i in grouped:
                used[i] = used.get(i, 0) + 1
        self._record(w, rank, offs)
        return {p[3] for grp in groups for p in grp[3]} if fresh else set()

    def _basket(
        self, w: Work, rank: int, lines: Sequence[int], spend_net: Sequence[int]
    ) -> set[int]:
        net = w.net
        weights = list(map(net.__getitem__, lines))
        remaining = sum(weights)
        amount = min(self.amount(rank, sum(map(spend_net.__getitem__, lines))), remaining)
        if amount <= 0:
            return set()
        allocated = allocate(amount, weights, list(map(self.ids.__getitem__, lines)))
        cap = self.rules[rank].line_cap_minor
        shares = w.shares
        booked = 0
        for i, part in zip(lines, allocated, strict=True):
            share = cap if cap is not None and part > cap else part
            if share > 0:
                net[i] -= share
                held = shares.get(i)
                if held is None:
                    shares[i] = [(rank, share)]
                else:
                    held.append((rank, share))
                booked += share
        w.basket_totals.append((rank, booked))
        return set(lines)
