"""The customer's choice of channels (in-app, email, push) for each category."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import selectors
from notifications.models import NotificationPreference
from portal.api_errors import ApplicationError
from portal.locks import advisory_xact_lock


def update_notification_preferences(
    *,
    user: User,
    changes: Mapping[str, Mapping[str, bool]],
    now: datetime | None = None,
) -> dict[str, dict[str, bool]]:
    """Change some channels of some categories; what is left out keeps its value.

    `changes` is `{category: {channel: bool}}` with the channels of `selectors.CHANNELS`.
    Returns the whole preferences. Concurrent changes of one customer are serialised, so
    two partial changes of the same category both hold.
    """
    unknown_categories = sorted(set(changes) - set(selectors.CATEGORIES))
    if unknown_categories:
        raise ApplicationError(
            "validation_error",
            _("There is no such category: %(names)s.") % {"names": ", ".join(unknown_categories)},
            fields={name: [_("Unknown category.")] for name in unknown_categories},
        )
    errors: dict[str, list[str]] = {}
    for category, channels in changes.items():
        for channel, value in channels.items():
            if channel not in selectors.CHANNELS:
                errors[f"{category}.{channel}"] = [_("Unknown channel.")]
            elif not isinstance(value, bool):
                errors[f"{category}.{channel}"] = [_("Use true or false.")]
    if errors:
        raise ApplicationError("validation_error", _("Check the preferences you sent."), errors)
    now = now or timezone.now()
    with transaction.atomic():
        advisory_xact_lock("notification-preferences", str(user.pk))
        preferences = selectors.get_notification_preferences(user=user)
        rows = []
        for category, channels in changes.items():
            preferences[category].update(channels)
            rows.append(
                NotificationPreference(
                    user=user, category=category, updated_at=now, **preferences[category]
                )
            )
        NotificationPreference.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user", "category"],
            update_fields=["in_app", "email", "push", "updated_at"],
        )
    return preferences
