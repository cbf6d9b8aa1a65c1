"""Recent activity (API.md "The dashboard"): the newest events from invoices (issued, paid),
orders (placed, activated, failed) and cancellations (requested), newest first."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from dashboard.rules import start_of_day
from dashboard.selectors import Facts
from dashboard.snapshot import Activity
from subscriptions.models import Plan

RECENT_ACTIVITY_LIMIT = 10

# Within one instant, the later step of the same thing comes first (paid above issued).
_EVENT_RANK = {
    "invoice_issued": 0,
    "invoice_paid": 1,
    "order_placed": 0,
    "order_activated": 1,
    "order_failed": 1,
    "cancellation_requested": 0,
}


def recent_activity(facts: Facts) -> tuple[Activity, ...]:
    """At most RECENT_ACTIVITY_LIMIT events, newest first, titles in the active language."""
    events: list[tuple[Activity, int]] = []

    def add(type: str, pk: int, title: str, occurred_at: datetime, href: str) -> None:
        events.append((Activity(f"{type}:{pk}", type, title, occurred_at, href), pk))

    for invoice in facts.issued_invoices:
        add(
            "invoice_issued",
            invoice.id,
            _("Invoice %(number)s issued") % {"number": invoice.number},
            start_of_day(invoice.issued_on),
            reverse("billing-invoice", args=[invoice.id]),
        )
    for paid in facts.paid_invoices:
        add(
            "invoice_paid",
            paid.id,
            _("Invoice %(number)s paid") % {"number": paid.number},
            paid.paid_at,
            reverse("billing-invoice", args=[paid.id]),
        )
    for order in facts.recent_orders:
        number = {"number": order.number}
        href = reverse("order-detail", args=[order.id])
        add("order_placed", order.id, _("Order %(number)s placed") % number, order.placed_at, href)
        if order.activated_at is not None:
            add(
                "order_activated",
                order.id,
                _("Order %(number)s activated") % number,
                order.activated_at,
                href,
            )
        if order.failed_at is not None:
            add(
                "order_failed",
                order.id,
                _("Order %(number)s could not be completed") % number,
                order.failed_at,
                href,
            )
    for request in facts.cancellations:
        plan = Plan(name=request.plan_name, name_ja=request.plan_name_ja).display_name
        add(
            "cancellation_requested",
            request.id,
            _("Cancellation of %(plan)s requested") % {"plan": plan},
            request.requested_at,
            reverse("service", args=[request.subscription_id]),
        )
    events.sort(
        key=lambda event: (event[0].occurred_at, _EVENT_RANK[event[0].type], event[1]),
        reverse=True,
    )
    return tuple(activity for activity, _pk in events[:RECENT_ACTIVITY_LIMIT])
