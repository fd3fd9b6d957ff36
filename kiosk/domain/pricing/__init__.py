"""Pricing and promotions (SPEC section 3): basket lines in, an explained priced basket out.

Pure: no I/O and no clock; the time and the shopper come in a `PricingContext`.
The promotions format is documented in docs/promotions.md.
"""

from kiosk.domain.pricing.engine import price_basket
from kiosk.domain.pricing.loader import load_promotions
from kiosk.domain.pricing.model import (
    BasketLine,
    CouponRejection,
    CouponRejectReason,
    Discount,
    Member,
    PricedBasket,
    PricedLine,
    PricingContext,
    PricingError,
    PromotionError,
    TaxLine,
)
from kiosk.domain.pricing.rules import MEMBER_PRICE_ID, PromotionSet

__all__ = [
    "MEMBER_PRICE_ID",
    "BasketLine",
    "CouponRejectReason",
    "CouponRejection",
    "Discount",
    "Member",
    "PricedBasket",
    "PricedLine",
    "PricingContext",
    "PricingError",
    "PromotionError",
    "PromotionSet",
    "TaxLine",
    "load_promotions",
    "price_basket",
]
