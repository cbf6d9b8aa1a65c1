"""Money as customers in Japan read it, in the active language: one formatter for every page."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language


def format_money(amount: Decimal | int, currency: str = "JPY") -> str:
    """¥5,500 in English and 5,500円 in Japanese (yen has no minor unit).

    Other currencies keep two decimals and their code: 12.50 USD.
    """
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    if currency != "JPY":
        return f"{sign}{abs(amount):,.2f} {currency}"
    whole = f"{abs(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    if (get_language() or "en").startswith("ja"):
        return f"{sign}{whole}円"
    return f"{sign}¥{whole}"
