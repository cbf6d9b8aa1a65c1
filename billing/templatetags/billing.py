"""Template filters of the billing pages: amounts as Japanese customers read them."""

from __future__ import annotations

from decimal import Decimal

from django import template

from portal.formats import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str = "JPY") -> str:
    """¥5,500 in English and 5,500円 in Japanese, as everywhere else (portal.formats)."""
    return "" if amount is None else format_money(amount, currency)
