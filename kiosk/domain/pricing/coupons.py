"""Coupons presented at the kiosk: which promotions they unlock, and why others are refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.domain.pricing.model import CouponRejection, CouponRejectReason, Member
from kiosk.domain.pricing.rules import PromotionSet, Rule


def normalize_code(code: str) -> str:
    """Coupon codes compare without surrounding blanks and case-insensitively."""
    return code.strip().upper()


def member_qualifies(rule: Rule, member: Member | None) -> bool:
    if not rule.members_only:
        return True
    if member is None:
        return False
    return not rule.member_tiers or member.tier in rule.member_tiers


@dataclass(slots=True)
class CouponCheck:
    """Outcome of checking the presented codes before pricing."""

    unlocked: dict[int, str] = field(default_factory=dict)  # rank -> code
    rejected: list[CouponRejection] = field(default_factory=list)


def check_coupons(
    presented: tuple[str, ...],
    *,
    redeemed: frozenset[str],
    promotions: PromotionSet,
    wall: datetime,
    member: Member | None,
    subtotal: int,
) -> CouponCheck:
    """Validate codes in the order presented: single use, known, active, member, min spend.

    `min_spend_minor` is compared with the basket subtotal before any discount, so a
    coupon's validity never depends on which other promotions the search picks.
    """
    used = {normalize_code(c) for c in redeemed}
    out = CouponCheck()
    seen: set[str] = set()
    for raw in presented:
        code = normalize_code(raw)
        rank = promotions.by_coupon.get(code)
        rule = None if rank is None else promotions.rules[rank]
        rule_id = None if rule is None else rule.rule_id
        reason = None
        if code in seen or (rank is not None and rank in out.unlocked):
            reason = CouponRejectReason.DUPLICATE
        elif code in used:
            reason = CouponRejectReason.ALREADY_REDEEMED
        elif rank is None or rule is None:
            reason = CouponRejectReason.UNKNOWN
        elif not rule.window.contains(wall):
            reason = CouponRejectReason.NOT_ACTIVE
        elif not member_qualifies(rule, member):
            reason = CouponRejectReason.MEMBERS_ONLY
        elif subtotal < rule.min_spend_minor:
            reason = CouponRejectReason.BELOW_MIN_SPEND
        seen.add(code)
        if reason is None:
            assert rank is not None
            out.unlocked[rank] = code
        else:
            out.rejected.append(CouponRejection(code, reason, rule_id))
    return out
