"""Read queries for a customer's services and their cancellation requests."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import Customer
from subscriptions.models import (
    CancellationRequest,
    CancellationStatus,
    Subscription,
    SubscriptionStatus,
    Suspension,
)

# The request a service page talks about: the scheduled one, or the completed one that
# ended the service. Withdrawn requests are history, not the service's state.
_CURRENT_CANCELLATION_STATUSES = (CancellationStatus.SCHEDULED, CancellationStatus.COMPLETED)


def _with_current_cancellation(queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """Fetch every subscription's current cancellation in one more query, whatever the count."""
    return queryset.select_related("plan").prefetch_related(
        Prefetch(
            "cancellation_requests",
            queryset=CancellationRequest.objects.filter(
                status__in=_CURRENT_CANCELLATION_STATUSES
            ).order_by("-requested_at", "-id"),
            to_attr="current_cancellations",
        )
    )


def current_cancellation(subscription: Subscription) -> CancellationRequest | None:
    """The scheduled or completed request of a subscription loaded by this module."""
    requests: list[CancellationRequest] = getattr(subscription, "current_cancellations", [])
    return requests[0] if requests else None


def list_subscriptions_for_customer(*, customer: Customer) -> QuerySet[Subscription]:
    """The customer's services, newest first, with plan and current cancellation."""
    return _with_current_cancellation(Subscription.objects.filter(customer=customer))


def get_subscription_for_customer(*, customer: Customer, subscription_id: int) -> Subscription:
    """One of the customer's services with its plan and current cancellation (the order
    behind it is orders' to read: `orders.selectors.get_order_of_subscription`).

    Http404 for another customer's subscription, so ids cannot be probed.
    """
    subscription = (
        _with_current_cancellation(Subscription.objects.filter(customer=customer))
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise Http404("No such subscription for this customer.")
    return subscription


def current_suspension(subscription: Subscription) -> Suspension | None:
    """The open suspension a suspended service shows (the oldest, if several reasons hold it).

    Looked up only for a suspended service, so listing active services costs no query."""
    if subscription.status != SubscriptionStatus.SUSPENDED:
        return None
    return subscription.suspensions.filter(ended_at__isnull=True).order_by("started_at").first()
