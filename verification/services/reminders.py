"""RESIDENCE_CARD_EXPIRING, run daily by beat: 60, 30 and 7 days before a verified residence
card expires and on the day, each milestone once per card."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import ResidenceCardVerification, VerificationStatus
from notifications.models import Notification
from notifications.services.notify import notify
from portal.dates import tokyo_today

RESIDENCE_CARD_MILESTONES = (60, 30, 7, 0)
# A run missed (the beat down for a day) still sends the milestone it missed, this late.
RESIDENCE_CARD_CATCH_UP_DAYS = 6


def residence_card_milestone(*, expires_on: date, today: date) -> int | None:
    """The milestone due on `today`: the nearest one not yet reached from above, so a
    missed daily run is caught up the next day; None outside the reminder period."""
    days_left = (expires_on - today).days
    if days_left > RESIDENCE_CARD_MILESTONES[0] or days_left < -RESIDENCE_CARD_CATCH_UP_DAYS:
        return None
    return min(milestone for milestone in RESIDENCE_CARD_MILESTONES if milestone >= days_left)


def residence_card_source_id(*, verification_id: int, expires_on: date) -> str:
    """The subject of the reminders (API.md): the verification and the card's expiry date."""
    return f"{verification_id}:{expires_on.isoformat()}"


def send_residence_card_expiring_reminders(*, now: datetime | None = None) -> int:
    """RESIDENCE_CARD_EXPIRING 60, 30 and 7 days before a verified card expires and on the
    day (Asia/Tokyo); returns how many were created.

    Each milestone is told once per card: the context carries it (`days_before`) and a
    milestone already told for that card, however long ago, is not told again. A newer
    milestone retires the older one of the same card (its source id).
    """
    now = now or timezone.now()
    today = tokyo_today(now=now)
    verifications = (
        ResidenceCardVerification.objects.filter(
            status=VerificationStatus.VERIFIED,
            card_expires_on__lte=today + timedelta(days=RESIDENCE_CARD_MILESTONES[0]),
            card_expires_on__gte=today - timedelta(days=RESIDENCE_CARD_CATCH_UP_DAYS),
            customer__user__is_active=True,
        )
        .select_related("customer__user")
        .order_by("pk")
    )
    due: list[tuple[Any, str, int]] = []
    for verification in verifications.iterator(chunk_size=500):
        expires_on = verification.card_expires_on
        assert expires_on is not None
        milestone = residence_card_milestone(expires_on=expires_on, today=today)
        if milestone is None:
            continue
        source_id = residence_card_source_id(verification_id=verification.pk, expires_on=expires_on)
        due.append((verification, source_id, milestone))
    told = set(
        Notification.objects.filter(
            type="RESIDENCE_CARD_EXPIRING", source_id__in=[source_id for _v, source_id, _m in due]
        ).values_list("user_id", "source_id", "context__days_before")
    )
    created = 0
    for verification, source_id, milestone in due:
        user = verification.customer.user
        if (user.pk, source_id, milestone) in told:
            continue
        notification = notify(
            user=user,
            type="RESIDENCE_CARD_EXPIRING",
            source_id=source_id,
            context={"expires_on": verification.card_expires_on, "days_before": milestone},
            now=now,
        )
        if notification:
            created += 1
    return created
