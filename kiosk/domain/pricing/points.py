"""Loyalty points (积分): earned by members on what they pay, with promotion multipliers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

_ONE = Fraction(1)


def points_earned(
    nets: Sequence[int], multipliers: Mapping[int, Fraction], per_minor: Fraction
) -> int:
    """Points for line nets (minor units) at `per_minor` points per minor unit.

    `multipliers` maps a line index to its multiplier (1 when absent). Points are summed
    exactly and truncated once: a shopper never gets a fraction of a point, and never
    loses one to per-line rounding.
    """
    # Nets are summed per multiplier in integers first: the same exact sum, with a few
    # Fraction operations per basket instead of two per line.
    spent: dict[Fraction, int] = {}
    for i, net in enumerate(nets):
        multiplier = multipliers.get(i, _ONE)
        spent[multiplier] = spent.get(multiplier, 0) + net
    exact = sum((multiplier * total for multiplier, total in spent.items()), Fraction(0))
    return math.floor(exact * per_minor)
