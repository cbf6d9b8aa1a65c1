"""Cancelling a service: offered dates, the request and its notification, completion, withdrawal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from notifications.models import Notification
from notifications.services.notify import notify
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.dates import TOKYO, month_end, next_month, tokyo_today
from staff.models import StaffActionType
from staff.services import record_staff_action
from subscriptions import tasks
from subscriptions.models import (
    CancellationReason,
    CancellationRequest,
    CancellationStatus,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)

# Requests made up to this day of the month can still end the service this month; later
# ones are too late for this month's network and billing run.
LAST_DAY_FOR_THIS_MONTH_END = 25
OFFERED_DATE_COUNT = 3
COMMENTS_MAX_LENGTH = 1000


@dataclass(frozen=True)
class CancellationOptions:
    effective_dates: list[date]
    # (code, label) with the label in the active language.
    reasons: list[tuple[str, str]]


def offered_effective_dates(*, now: datetime) -> list[date]:
    """The month ends a customer may choose as the last day of service, earliest first."""
    today = tokyo_today(now=now)
    year, month = today.year, today.month
    if today.day > LAST_DAY_FOR_THIS_MONTH_END:
        year, month = next_month(year, month)
    dates = []
    for _index in range(OFFERED_DATE_COUNT):
        dates.append(month_end(year, month))
        year, month = next_month(year, month)
    return dates


def cancellation_options(*, now: datetime) -> CancellationOptions:
    return CancellationOptions(
        effective_dates=offered_effective_dates(now=now),
        reasons=[(str(code), str(label)) for code, label in CancellationReason.choices],
    )


def ensure_cancellable(*, subscription: Subscription) -> None:
    """Raise the 409 that explains why this subscription cannot be cancelled now, if any."""
    if subscription.status == SubscriptionStatus.CANCELLATION_SCHEDULED:
        raise _already_scheduled()
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise ApplicationError("subscription_cancelled", _("This service has already ended."))
    if subscription.status == SubscriptionStatus.SUSPENDED:
        raise ApplicationError(
            "subscription_suspended",
            _("This service is suspended. Please contact support to cancel it."),
        )


def can_request_cancellation(*, subscription: Subscription) -> bool:
    try:
        ensure_cancellable(subscription=subscription)
    except ApplicationError:
        return False
    return True


def _already_scheduled() -> ApplicationError:
    return ApplicationError(
        "cancellation_already_scheduled",
        _("A cancellation is already scheduled for this service."),
    )


def _invalid_fields(
    *, effective_on: date, reason: str, comments: str, now: datetime
) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if effective_on not in offered_effective_dates(now=now):
        fields["effectiveOn"] = [_("Choose one of the offered dates.")]
    if reason not in CancellationReason.values:
        fields["reason"] = [_("Choose one of the listed reasons.")]
    if len(comments) > COMMENTS_MAX_LENGTH:
        fields["comments"] = [
            _("Keep your comments to %(max)d characters or fewer.") % {"max": COMMENTS_MAX_LENGTH}
        ]
    return fields


def request_cancellation(
    *,
    customer: Customer,
    subscription_id: int,
    effective_on: date,
    reason: str,
    comments: str = "",
    now: datetime | None = None,
) -> CancellationRequest:
    """Schedule the end of one of the customer's services on an offered month end.

    Submitting twice (a double click, a retried request) schedules one cancellation: the
    second call is refused with `cancellation_already_scheduled`.
    """
    now = now or timezone.now()
    comments = comments.strip()
    with transaction.atomic():
        # Locking the subscription first serialises two submits of the same form; the
        # partial unique constraint is what finally guarantees one scheduled request.
        subscription = (
            Subscription.objects.select_for_update()
            .filter(customer=customer, pk=subscription_id)
            .first()
        )
        if subscription is None:
            raise Http404("No such subscription for this customer.")
        fields = _invalid_fields(
            effective_on=effective_on, reason=reason, comments=comments, now=now
        )
        if fields:
            raise ApplicationError("validation_error", _("Some fields need attention."), fields)
        ensure_cancellable(subscription=subscription)
        try:
            with transaction.atomic():
                cancellation = CancellationRequest.objects.create(
                    customer=customer,
                    subscription=subscription,
                    effective_on=effective_on,
                    reason=reason,
                    comments=comments,
                    requested_at=now,
                )
        except IntegrityError as error:
            raise _already_scheduled() from error
        subscription.status = SubscriptionStatus.CANCELLATION_SCHEDULED
        subscription.save(update_fields=["status"])
        enqueue_on_commit(tasks.send_cancellation_scheduled_notification, cancellation.pk)
    return cancellation


def notify_cancellation_scheduled(*, cancellation_request_id: int) -> Notification | None:
    """Tell the customer their cancellation is scheduled; safe to run again (notify dedupes)."""
    cancellation = (
        CancellationRequest.objects.select_related("subscription__plan", "customer__user")
        .filter(pk=cancellation_request_id)
        .first()
    )
    if cancellation is None or cancellation.status != CancellationStatus.SCHEDULED:
        # Withdrawn (or gone) before the task ran: there is nothing left to announce.
        return None
    return notify(
        user=cancellation.customer.user,
        type="CANCELLATION_SCHEDULED",
        source_id=cancellation.pk,
        context=_cancellation_context(cancellation),
    )


def _cancellation_context(cancellation: CancellationRequest) -> dict[str, object]:
    return {
        "plan_name": cancellation.subscription.plan.names,
        "effective_on": cancellation.effective_on,
        "subscription_id": cancellation.subscription_id,
    }


def _lock_cancellation(cancellation_request_id: int) -> CancellationRequest | None:
    """Lock a request and its subscription, the subscription first as request_cancellation
    does, so two use cases never wait for each other's rows in opposite order."""
    subscription_id = (
        CancellationRequest.objects.filter(pk=cancellation_request_id)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if subscription_id is None:
        return None
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=subscription_id)
    )
    cancellation = CancellationRequest.objects.select_for_update().get(pk=cancellation_request_id)
    cancellation.subscription = subscription
    return cancellation


def service_end(*, effective_on: date) -> datetime:
    """The moment a service with this last day stops: midnight at the end of it, in Tokyo."""
    return datetime.combine(effective_on + timedelta(days=1), time.min, tzinfo=TOKYO)


def _record(
    cancellation: CancellationRequest, actor: User | None, action: str, *, now: datetime
) -> None:
    if actor is not None:
        subscription = cancellation.subscription
        record_staff_action(
            actor=actor,
            action=action,
            customer=subscription.customer,
            subject=cancellation,
            subject_label=f"Cancellation #{cancellation.pk} ({subscription.plan.name})",
            details={"effectiveOn": cancellation.effective_on.isoformat()},
            now=now,
        )


def complete_cancellation(
    *, cancellation_request_id: int, actor: User | None = None, now: datetime | None = None
) -> bool:
    """End the service of a scheduled request whose last day has passed; False if nothing to do.

    Support (`actor`, logged) uses it when the daily run missed one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        cancellation = _lock_cancellation(cancellation_request_id)
        if (
            cancellation is None
            or cancellation.status != CancellationStatus.SCHEDULED
            or cancellation.effective_on >= tokyo_today(now=now)
        ):
            return False
        cancellation.status = CancellationStatus.COMPLETED
        cancellation.completed_at = now
        cancellation.save(update_fields=["status", "completed_at"])
        subscription = cancellation.subscription
        subscription.status = SubscriptionStatus.CANCELLED
        subscription.cancelled_at = service_end(effective_on=cancellation.effective_on)
        subscription.save(update_fields=["status", "cancelled_at"])
        _record(cancellation, actor, StaffActionType.CANCELLATION_COMPLETED, now=now)
        _notify_cancellation(cancellation, "CANCELLATION_COMPLETED", now=now)
    return True


def _notify_cancellation(cancellation: CancellationRequest, type: str, *, now: datetime) -> None:
    """Tell the customer how their cancellation ended; it retires CANCELLATION_SCHEDULED."""
    notify(
        user=cancellation.subscription.customer.user,
        type=type,
        source_id=cancellation.pk,
        context=_cancellation_context(cancellation),
        now=now,
    )


def complete_due_cancellations(*, now: datetime | None = None) -> int:
    """Complete every scheduled cancellation whose last day has passed in Tokyo.

    One transaction per request, so one bad row never holds back the others and a run
    that stops half-way is finished by the next. Returns how many were completed.
    """
    now = now or timezone.now()
    due_ids = list(
        CancellationRequest.objects.filter(
            status=CancellationStatus.SCHEDULED, effective_on__lt=tokyo_today(now=now)
        )
        .order_by("effective_on", "id")
        .values_list("id", flat=True)
    )
    completed = sum(
        complete_cancellation(cancellation_request_id=request_id, now=now) for request_id in due_ids
    )
    if completed:
        logger.info("Completed %d due cancellations", completed)
    return completed


def withdraw_cancellation(
    *, cancellation_request_id: int, actor: User | None = None, now: datetime | None = None
) -> CancellationRequest:
    """Support staff take back a scheduled cancellation: the service stays active.

    Withdrawing twice is harmless; a completed cancellation cannot be withdrawn.
    """
    now = now or timezone.now()
    with transaction.atomic():
        cancellation = _lock_cancellation(cancellation_request_id)
        if cancellation is None:
            raise ApplicationError("not_found", _("Not found."))
        if cancellation.status == CancellationStatus.WITHDRAWN:
            return cancellation
        if cancellation.status == CancellationStatus.COMPLETED:
            raise ApplicationError(
                "cancellation_already_completed",
                _("The service has already ended, so its cancellation cannot be withdrawn."),
            )
        _withdraw(cancellation, now=now)
        _record(cancellation, actor, StaffActionType.CANCELLATION_WITHDRAWN, now=now)
    return cancellation


def _withdraw(cancellation: CancellationRequest, *, now: datetime) -> None:
    cancellation.status = CancellationStatus.WITHDRAWN
    cancellation.withdrawn_at = now
    cancellation.save(update_fields=["status", "withdrawn_at"])
    subscription = cancellation.subscription
    if subscription.status == SubscriptionStatus.CANCELLATION_SCHEDULED:
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.save(update_fields=["status"])
    _notify_cancellation(cancellation, "CANCELLATION_WITHDRAWN", now=now)


def withdraw_scheduled_cancellation(
    *, customer: Customer, subscription_id: int, now: datetime | None = None
) -> CancellationRequest:
    """The customer takes back the scheduled cancellation of one of their services.

    Another customer's service is a 404; a service without a scheduled cancellation (never
    requested, already withdrawn or completed) is `409 cancellation_not_withdrawable`.
    """
    now = now or timezone.now()
    scheduled_id = (
        CancellationRequest.objects.filter(
            subscription__customer=customer,
            # Through the subscription's own id: Django finds no row for an id too large
            # for the column, where the foreign key would hand it to the database.
            subscription__pk=subscription_id,
            status=CancellationStatus.SCHEDULED,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if scheduled_id is None:
        if not Subscription.objects.filter(customer=customer, pk=subscription_id).exists():
            raise Http404("No such subscription for this customer.")
        raise _not_withdrawable()
    with transaction.atomic():
        cancellation = _lock_cancellation(scheduled_id)
        # Completed (or withdrawn by support) between the look-up and the lock.
        if cancellation is None or cancellation.status != CancellationStatus.SCHEDULED:
            raise _not_withdrawable()
        _withdraw(cancellation, now=now)
    return cancellation


def _not_withdrawable() -> ApplicationError:
    return ApplicationError(
        "cancellation_not_withdrawable",
        _("This service has no scheduled cancellation to withdraw."),
    )
