"""{% notification_bell %}: the header bell with the unseen count and its menu, on every page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from notifications import selectors
from notifications.catalog import CATALOG, Tone
from notifications.models import NotificationCategory
from portal.templatetags.icons import icon_svg

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unseen_count": None}
    # The badge counts unseen ones; opening the menu marks them seen. A page that counted
    # them already (the dashboard, with its notifications card) passes `bell_badge`.
    badge = context.get("bell_badge")
    if badge is None:
        badge = selectors.count_unseen_for_badge(user=user, now=timezone.now())
    return {"unseen_count": badge}


# A row of a type the catalog no longer has (an older shape) still gets an icon.
_OTHER_TYPE = ("bell", Tone.NEUTRAL)


@register.simple_tag
def notification_icon(type: str) -> SafeString:
    """`{% notification_icon notification.type %}`: the type's icon in its tone's colour."""
    entry = CATALOG.get(type)
    name, tone = (entry.icon, entry.tone) if entry is not None else _OTHER_TYPE
    return format_html('<span class="notification__icon tone-{}">{}</span>', tone, icon_svg(name))


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
