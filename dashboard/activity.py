"""Recent activity (API.md "The dashboard"): the newest events from invoices (issued, paid),
orders (placed, activated, failed) and cancellations (requested), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from dashboard.selectors import Facts
from dashboard.snapshot import Activity
from portal.dates import start_of_day
from portal.links import page_path
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


@dataclass(frozen=True)
class _Event:
    type: str
    id: int
    occurred_at: datetime
    # The invoice or order number, or the plan's name.
    subject: str
    # The invoice, order or subscription the event links to.
    link_id: int


def recent_activity(facts: Facts) -> tuple[Activity, ...]:
    """At most RECENT_ACTIVITY_LIMIT events, newest first, titles in the active language."""
    events = [
        *(
            _Event("invoice_issued", row.id, start_of_day(row.issued_on), row.number, row.id)
            for row in facts.issued_invoices
        ),
        *(
            _Event("invoice_paid", row.id, row.paid_at, row.number, row.id)
            for row in facts.paid_invoices
        ),
        *(
            _Event(type, row.id, when, row.number, row.id)
            for row in facts.recent_orders
            for type, when in (
                ("order_placed", row.placed_at),
                ("order_activated", row.activated_at),
                ("order_failed", row.failed_at),
            )
            if when is not None
        ),
        *(
            _Event(
                "cancellation_requested",
                row.id,
                row.requested_at,
                Plan(name=row.plan_name, name_ja=row.plan_name_ja).display_name,
                row.subscription_id,
            )
            for row in facts.cancellations
        ),
    ]
    events.sort(
        key=lambda event: (event.occurred_at, _EVENT_RANK[event.type], event.id), reverse=True
    )
    return tuple(_activity(event) for event in events[:RECENT_ACTIVITY_LIMIT])


def _activity(event: _Event) -> Activity:
    """Title and link, made only for the events that are shown."""
    number = {"number": event.subject}
    if event.type == "invoice_issued":
        title, href = _("Invoice %(number)s issued") % number, "billing-invoice"
    elif event.type == "invoice_paid":
        title, href = _("Invoice %(number)s paid") % number, "billing-invoice"
    elif event.type == "order_placed":
        title, href = _("Order %(number)s placed") % number, "order-detail"
    elif event.type == "order_activated":
        title, href = _("Order %(number)s activated") % number, "order-detail"
    elif event.type == "order_failed":
        title, href = _("Order %(number)s could not be completed") % number, "order-detail"
    else:
        title = _("Cancellation of %(plan)s requested") % {"plan": event.subject}
        href = "service"
    return Activity(
        id=f"{event.type}:{event.id}",
        type=event.type,
        title=title,
        occurred_at=event.occurred_at,
        href=page_path(href, event.link_id),
    )
