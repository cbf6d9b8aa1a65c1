"""Template filters of the billing pages: amounts as Japanese customers read them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str = "JPY") -> str:
    """¥5,500 in English and 5,500円 in Japanese (yen has no minor unit), like the dashboard.

    Other currencies keep two decimals and their code: 12.50 USD.
    """
    if amount is None:
        return ""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    if currency != "JPY":
        return f"{sign}{abs(amount):,.2f} {currency}"
    whole = f"{abs(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    if (get_language() or "en").startswith("ja"):
        return f"{sign}{whole}円"
    return f"{sign}¥{whole}"
