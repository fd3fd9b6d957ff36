"""A sale record -> the receipt model (kiosk.domain.receipt). Pure; used for prints and reprints."""

from __future__ import annotations

from kiosk.config import KioskConfig
from kiosk.domain.money import Money
from kiosk.domain.pricing import Discount
from kiosk.domain.receipt import (
    Receipt,
    ReceiptDiscount,
    ReceiptLine,
    ReceiptMember,
    ReceiptPayment,
    StoreHeader,
    TaxRow,
    returns_qr_payload,
)
from kiosk.domain.sale import Sale
from kiosk.logging_setup import mask

# How each payment method is named on the receipt.
METHOD_LABELS: dict[str, dict[str, str]] = {
    "stub": {"zh_CN": "演示支付（非真实付款）", "en": "STUB payment (not real)"},
    "card": {"zh_CN": "银行卡", "en": "Card"},
    "wechat": {"zh_CN": "微信支付", "en": "WeChat Pay"},
    "alipay": {"zh_CN": "支付宝", "en": "Alipay"},
}


def _shown(reference: str) -> str:
    """A payment reference as a receipt may show it: at most four digits in clear."""
    if sum(c.isdigit() for c in reference) <= 4:
        return reference
    return mask(reference)


def _percent(rate_num: int, rate_den: int) -> str:
    value = rate_num * 100 / rate_den
    return f"{value:g}%"


def receipt_for_sale(
    sale: Sale,
    config: KioskConfig,
    locale: str,
    *,
    copy_label: str | None = None,
    points_balance: int | None = None,
) -> Receipt:
    """Build the receipt of `sale` in `locale` (amounts exactly as the sale was charged)."""
    currency = sale.priced.currency

    def money(minor: int) -> Money:
        return Money(minor, currency)

    def discount(d: Discount) -> ReceiptDiscount:
        label = d.label.get(locale) or next(iter(d.label.values()), d.rule_id)
        return ReceiptDiscount(label, money(d.amount_minor))

    items = {line.line_id: line.item for line in sale.lines}
    lines = tuple(
        ReceiptLine(
            name=items[p.line_id].name(locale),
            unit_price=money(p.unit_price_minor),
            amount=money(p.base_minor),
            quantity=p.quantity,
            weight_g=p.weight_g,
            discounts=tuple(discount(d) for d in p.discounts),
        )
        for p in sale.priced.lines
    )
    taxes = tuple(
        TaxRow(
            rate_label=_percent(t.rate.numerator, t.rate.denominator),
            net=money(t.net_minor),
            tax=money(t.tax_minor),
            gross=money(t.gross_minor),
        )
        for t in sale.priced.taxes
    )
    payments = tuple(
        ReceiptPayment(
            method=METHOD_LABELS.get(p.method, {}).get(locale, p.method),
            amount=money(p.amount_minor),
            masked_reference=_shown(p.reference),
        )
        for p in sale.payments
    )
    member = (
        ReceiptMember(mask(sale.member_id), sale.priced.points_earned, points_balance)
        if sale.member_id
        else None
    )
    store = config.store
    footer = config.receipt.footer.get(locale)
    return Receipt(
        store=StoreHeader(store.names, store.address, store.tax_id),
        store_id=store.store_id,
        kiosk_id=config.kiosk_id,
        transaction_id=sale.tx_id,
        issued_at=sale.completed_at,
        locale=locale,
        lines=lines,
        subtotal=money(sale.priced.subtotal_minor),
        savings=money(sale.priced.savings_minor),
        total=money(sale.priced.total_minor),
        taxes=taxes,
        payments=payments,
        change=money(sum(p.amount_minor for p in sale.payments) - sale.priced.total_minor),
        qr_payload=returns_qr_payload(sale.tx_id),
        member=member,
        basket_discounts=tuple(discount(d) for d in sale.priced.basket_discounts),
        footer=(footer,) if footer else (),
        copy_label=copy_label,
        tax_included=sale.priced.tax_inclusive,
    )
