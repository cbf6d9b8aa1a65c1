"""Template filters of the billing pages: amounts as Japanese customers read them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str = "JPY") -> str:
    """¥5,500 for yen (which has no minor unit), 12.50 USD for anything else."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    if currency == "JPY":
        whole = abs(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"{sign}¥{whole:,}"
    return f"{sign}{abs(amount):,.2f} {currency}"
