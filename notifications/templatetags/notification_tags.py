"""{% notification_bell %}: the header bell with the unread count, on every /account/ page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": None}
    # A page that already counted (the dashboard) passes its number and saves the query.
    count = context.get("unread_notification_count")
    if count is None:
        count = selectors.count_unread_notifications(user=user, now=timezone.now())
    return {"unread_count": count}
