"""Creating notifications (with dedupe) and changing their state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications import catalog
from notifications.models import Notification
from portal.locks import advisory_xact_lock


def _language_of(user: User) -> str:
    customer = getattr(user, "customer", None)
    return customer.language if customer is not None else settings.LANGUAGE_CODE


def notify(
    *,
    user: User,
    type: str,
    source_id: str | int,
    context: dict[str, Any],
    now: datetime | None = None,
) -> Notification | None:
    """Create a notification from the catalog, or return None when it is a duplicate.

    A duplicate is a notification for the same user, type and source id created within
    the type's dedupe window, whether it was read or dismissed since or not.
    """
    template = catalog.get_template(type)
    template.check_context(context)
    now = now or timezone.now()
    source_id = str(source_id)
    recent = Notification.objects.filter(
        user=user,
        type=type,
        source_id=source_id,
        created_at__gt=now - template.dedupe_window,
    )
    # The common case (a reminder that already exists) costs this one statement.
    if recent.exists():
        return None
    with transaction.atomic():
        advisory_xact_lock("notify", f"{user.pk}:{type}:{source_id}")
        if recent.exists():
            return None
        rendered = template.render(context, language=_language_of(user))
        return Notification.objects.create(
            user=user,
            type=type,
            title=rendered.title,
            message=rendered.message,
            action_url=rendered.action_url,
            action_label=rendered.action_label,
            source=template.source,
            source_id=source_id,
            created_at=now,
            expires_at=now + template.expiry,
        )
