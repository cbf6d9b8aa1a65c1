"""Presentation helpers for order pages: tones for statuses, plan names, prices, and the
order behind a service's page."""

from __future__ import annotations

from django import template
from django.utils import translation

from orders.models import Order, OrderStatus
from orders.selectors import get_order_of_subscription
from portal.formats import format_money
from subscriptions.models import Plan, Subscription

register = template.Library()


@register.filter
def order_tone(status: str) -> str:
    return OrderStatus(status).tone


@register.filter
def localized_name(plan: Plan) -> str:
    return plan.display_name


@register.filter
def localized_description(plan: Plan) -> str:
    return plan.description_in(translation.get_language())


@register.filter
def price(plan: Plan) -> str:
    return format_money(plan.monthly_price, plan.currency)


@register.filter
def initial_fee(plan: Plan) -> str:
    return format_money(plan.initial_fee, plan.currency)


@register.simple_tag
def source_order(subscription: Subscription) -> Order | None:
    """`{% source_order subscription as order %}`: the service page shows the order behind
    it, which subscriptions (below orders) cannot read itself."""
    return get_order_of_subscription(subscription=subscription)
