"""`{% task_icon task.type %}`: the one thing the page decides about a task, its icon."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from portal.templatetags.icons import icon_svg

register = template.Library()

_ICON_OF_TASK: dict[str, str] = {
    "invoice_due": "invoice",
    "idv_rejected": "id-card-x",
    "add_payment_method": "card",
    "order_in_progress": "package",
    "eligibility_pending": "map-pin",
    "onboarding": "rocket",
}


@register.simple_tag
def task_icon(type: str) -> SafeString:
    return icon_svg(_ICON_OF_TASK.get(type, "info"))
