"""{% notification_bell %}: the header bell with the unseen count and its menu, on every page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from notifications import selectors
from notifications.models import NotificationCategory

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unseen_count": None}
    # The badge counts unseen ones; opening the menu marks them seen.
    return {"unseen_count": selectors.count_unseen_notifications(user=user, now=timezone.now())}


@register.inclusion_tag("notifications/_preferences.html", takes_context=True)
def notification_preferences(context: template.Context) -> dict[str, Any]:
    """The notification section of the settings page: a form per category and channel."""
    request = context["request"]
    return {
        "rows": preference_rows(user=request.user),
        "csrf_token": context.get("csrf_token"),
        "next": context.get("preferences_next", request.get_full_path()),
    }


def preference_rows(*, user: Any) -> list[dict[str, Any]]:
    preferences = selectors.get_notification_preferences(user=user)
    return [
        {"category": value, "label": label, **preferences[value]}
        for value, label in NotificationCategory.choices
    ]


@register.inclusion_tag("notifications/_devices.html", takes_context=True)
def push_devices(context: template.Context) -> dict[str, Any]:
    """The phones that receive the customer's push notifications, each with a forget button."""
    request = context["request"]
    return {
        "devices": selectors.list_devices(user=request.user),
        "csrf_token": context.get("csrf_token"),
    }
