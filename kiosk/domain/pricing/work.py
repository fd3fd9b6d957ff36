"""The mutable state of one evaluation of a combination of rules over a basket."""

from __future__ import annotations

from collections.abc import Sequence


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
