"""Presentation helpers for order pages: tones for statuses, plan names, prices."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import translation

from orders import selectors
from orders.models import OrderStatus
from subscriptions.models import Plan

register = template.Library()

_TONES: dict[str, str] = {
    OrderStatus.PENDING_REVIEW: "neutral",
    OrderStatus.APPROVED: "info",
    OrderStatus.PROVISIONING: "info",
    OrderStatus.ACTIVATED: "success",
    OrderStatus.FAILED: "critical",
    OrderStatus.CANCELLED: "neutral",
}


@register.filter
def order_tone(status: str) -> str:
    return _TONES.get(status, "neutral")


@register.filter
def localized_name(plan: Plan) -> str:
    return selectors.plan_name(plan, language=translation.get_language() or "en")


@register.filter
def localized_description(plan: Plan) -> str:
    return selectors.plan_description(plan, language=translation.get_language() or "en")


@register.filter
def price(plan: Plan) -> str:
    amount: Decimal = plan.monthly_price
    if plan.currency == "JPY":
        return f"¥{amount:,.0f}"
    return f"{amount:,.2f} {plan.currency}"
