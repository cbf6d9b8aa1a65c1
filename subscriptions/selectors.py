"""Read queries for a customer's services and their cancellation requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import Customer
from subscriptions.models import CancellationRequest, CancellationStatus, Subscription

if TYPE_CHECKING:
    from orders.models import Order

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
    """One of the customer's services with its plan, order and current cancellation.

    Http404 for another customer's subscription, so ids cannot be probed.
    """
    subscription = (
        _with_current_cancellation(Subscription.objects.filter(customer=customer))
        .select_related("order")
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise Http404("No such subscription for this customer.")
    return subscription


def source_order(subscription: Subscription) -> Order | None:
    """The order that produced the subscription; None for services set up another way."""
    try:
        return subscription.order
    except ObjectDoesNotExist:
        return None
