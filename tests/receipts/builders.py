"""Example receipts for tests and demos; sums are computed so the model accepts them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from kiosk.domain.money import Money, Rounding
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

CNY = "CNY"
ISSUED_AT = datetime(2024, 5, 1, 14, 3, 22)
TRANSACTION_ID = "K03-20240501-000123"

STORE = StoreHeader(
    names={"zh_CN": "鲜丰超市（徐汇店）", "en": "Xianfeng Market (Xuhui)"},
    address="上海市徐汇区漕溪北路88号",
    tax_id="91310104MA1FR0XX1X",
)


def yuan(text: str) -> Money:
    return Money.parse(text, CNY)


def each(name: str, price: str, quantity: int = 1, *discounts: tuple[str, str]) -> ReceiptLine:
    unit = yuan(price)
    return ReceiptLine(
        name=name,
        unit_price=unit,
        amount=unit.times(quantity),
        quantity=quantity,
        discounts=tuple(ReceiptDiscount(label, yuan(off)) for label, off in discounts),
    )


def weighed(name: str, price_per_kg: str, weight_g: int) -> ReceiptLine:
    unit = yuan(price_per_kg)
    return ReceiptLine(
        name=name,
        unit_price=unit,
        amount=unit.scaled(Fraction(weight_g, 1000), Rounding.HALF_UP),
        weight_g=weight_g,
    )


ZH_LINES = (
    each("农夫山泉天然水550ml", "2.00"),
    each("可口可乐（罐装）330ml，冰镇！", "3.50", 3, ("第二件半价", "1.75")),
    weighed("红富士苹果", "12.80", 1234),
    each("ＡＢＣ全麦吐司面包超长名称需要换行显示的商品一袋装", "9.90", 1, ("会员价", "1.00")),
)
EN_LINES = (
    each("Nongfu Spring Water 550ml", "2.00"),
    each("Coca-Cola Can 330ml", "3.50", 3, ("2nd half price", "1.75")),
    weighed("Fuji Apples", "12.80", 1234),
    each("Wholemeal Toast Bread, extra long name that wraps", "9.90", 1, ("Member price", "1.00")),
)


def build_receipt(
    locale: str,
    lines: Sequence[ReceiptLine],
    *,
    basket_discounts: Sequence[ReceiptDiscount] = (),
    payment_methods: Sequence[tuple[str, str, str]] = (),
    cash_tendered: Money | None = None,
    member: ReceiptMember | None = None,
    footer: Sequence[str] = (),
    copy_label: str | None = None,
    tax_included: bool = True,
    tax_percent: int = 13,
    transaction_id: str = TRANSACTION_ID,
    store: StoreHeader = STORE,
) -> Receipt:
    """A consistent receipt: subtotal, savings, one tax row, payments of the total.

    `payment_methods` pay the total in one go (label, masked reference, auth number);
    with `cash_tendered` the total is paid in cash and the rest is change.
    """
    zero = Money.zero(CNY)
    subtotal = sum((line.amount for line in lines), zero)
    savings = sum((d.amount for line in lines for d in line.discounts), zero)
    savings = sum((d.amount for d in basket_discounts), savings)
    due = subtotal - savings
    rate = Fraction(tax_percent, 100)
    if tax_included:
        net = due.scaled(1 / (1 + rate), Rounding.HALF_UP)
        row = TaxRow(f"{tax_percent}%", net, due - net, due)
    else:
        tax = due.scaled(rate, Rounding.HALF_UP)
        row = TaxRow(f"{tax_percent}%", due, tax, due + tax)
    total = row.gross if not tax_included else due
    change = zero
    if cash_tendered is not None:
        payments = (ReceiptPayment("现金" if locale == "zh_CN" else "Cash", cash_tendered),)
        change = cash_tendered - total
    else:
        method, ref, auth = payment_methods[0] if payment_methods else ("微信支付", "", "")
        payments = (ReceiptPayment(method, total, ref, auth),)
    return Receipt(
        store=store,
        store_id="S001",
        kiosk_id="K03",
        transaction_id=transaction_id,
        issued_at=ISSUED_AT,
        locale=locale,
        lines=tuple(lines),
        subtotal=subtotal,
        savings=savings,
        total=total,
        taxes=(row,),
        payments=payments,
        change=change,
        qr_payload=returns_qr_payload(transaction_id),
        member=member,
        basket_discounts=tuple(basket_discounts),
        footer=tuple(footer),
        copy_label=copy_label,
        tax_included=tax_included,
    )


def example_receipt(locale: str, *, copy_label: str | None = None) -> Receipt:
    """A full receipt: quantities, a weighed line, line and basket discounts, member,
    card payment, footer and QR code."""
    zh = locale == "zh_CN"
    return build_receipt(
        locale,
        ZH_LINES if zh else EN_LINES,
        basket_discounts=(ReceiptDiscount("满30减3" if zh else "Spend 30 save 3", yuan("3.00")),),
        payment_methods=(("银联卡" if zh else "UnionPay card", "**** 1234", "123456"),),
        member=ReceiptMember("*******8000", 33, 1234),
        footer=(
            ("谢谢惠顾，欢迎再次光临！", "退换货请保留小票（7天内）")
            if zh
            else ("Thank you for shopping with us!", "Keep this receipt for returns (7 days)")
        ),
        copy_label=copy_label,
    )
