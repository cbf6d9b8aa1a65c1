"""Suspending a service and lifting a suspension, one reason at a time: the service is
suspended while any reason is open, and back to what it was when none is left."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from notifications.services.notify import notify, retire_notifications
from portal.dates import tokyo_today
from subscriptions.models import (
    CancellationRequest,
    CancellationStatus,
    Subscription,
    SubscriptionStatus,
    Suspension,
    SuspensionReason,
)

# A cancelled service has nothing left to suspend.
SUSPENDABLE = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.CANCELLATION_SCHEDULED,
    SubscriptionStatus.SUSPENDED,
)


def _lock(subscription_id: int) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "customer")
        .get(pk=subscription_id)
    )


def _context(subscription: Subscription, suspension: Suspension) -> dict[str, object]:
    return {
        "plan_name": subscription.plan.names,
        "subscription_id": subscription.pk,
        "since": tokyo_today(now=suspension.started_at),
    }


def suspend_subscription(
    *, subscription_id: int, reason: str, source: str, now: datetime
) -> Suspension | None:
    """Open a suspension for `reason` (once: an open one is returned as it is) and suspend
    the service. None when the service has ended."""
    with transaction.atomic():
        subscription = _lock(subscription_id)
        if subscription.status not in SUSPENDABLE:
            return None
        open_one = subscription.suspensions.filter(reason=reason, ended_at__isnull=True).first()
        if open_one is not None:
            return open_one
        try:
            with transaction.atomic():
                suspension = Suspension.objects.create(
                    subscription=subscription, reason=reason, source=source[:64], started_at=now
                )
        except IntegrityError:
            # Opened by a concurrent run between our look and our insert.
            return subscription.suspensions.get(reason=reason, ended_at__isnull=True)
        if subscription.status != SubscriptionStatus.SUSPENDED:
            subscription.status = SubscriptionStatus.SUSPENDED
            subscription.save(update_fields=["status"])
        if reason == SuspensionReason.NON_PAYMENT:
            notify(
                user=subscription.customer.user,
                type="SERVICE_SUSPENDED",
                source_id=suspension.pk,
                context=_context(subscription, suspension),
                now=now,
            )
    return suspension


def lift_suspension(*, subscription_id: int, reason: str, now: datetime) -> Suspension | None:
    """End the open suspension for `reason` (none open: None, nothing changes). The service
    comes back only when no other reason holds it."""
    with transaction.atomic():
        subscription = _lock(subscription_id)
        suspension = subscription.suspensions.filter(reason=reason, ended_at__isnull=True).first()
        if suspension is None:
            return None
        suspension.ended_at = now
        suspension.save(update_fields=["ended_at"])
        retire_notifications(
            user_id=subscription.customer.user_id,
            type="SERVICE_SUSPENDED",
            source_id=suspension.pk,
            now=now,
        )
        still_held = subscription.suspensions.filter(ended_at__isnull=True).exists()
        if still_held or subscription.status != SubscriptionStatus.SUSPENDED:
            return suspension
        scheduled = CancellationRequest.objects.filter(
            subscription=subscription, status=CancellationStatus.SCHEDULED
        ).exists()
        subscription.status = (
            SubscriptionStatus.CANCELLATION_SCHEDULED if scheduled else SubscriptionStatus.ACTIVE
        )
        subscription.save(update_fields=["status"])
        notify(
            user=subscription.customer.user,
            type="SERVICE_RESTORED",
            source_id=suspension.pk,
            context=_context(subscription, suspension),
            now=now,
        )
    return suspension
