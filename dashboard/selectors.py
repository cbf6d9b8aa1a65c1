"""The reads behind the dashboard snapshot: a fixed set of queries, whatever the customer has.

Each function is one statement, so `GET /api/me/status` costs the same number of queries
for a new customer and for one with years of history (DESIGN.md section 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import CharField, Count, OuterRef, Q
from django.db.models.functions import Cast, Coalesce

from accounts.models import Customer, InternetEligibility, ResidenceCardVerification
from accounts.selectors import get_internet_eligibility, get_residence_card_verification
from billing.models import Invoice, InvoiceStatus
from notifications.selectors import recent_notification_exists
from orders.models import OPEN_ORDER_STATUSES, Order
from subscriptions.models import CancellationRequest, Subscription, SubscriptionStatus

# A subscription with a scheduled cancellation still runs until its effective date.
RUNNING_SUBSCRIPTION_STATUSES = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.CANCELLATION_SCHEDULED,
)


def get_identity_gates(
    *, customer: Customer
) -> tuple[InternetEligibility, ResidenceCardVerification]:
    """The eligibility and verification rows, loaded together in one query."""
    loaded = Customer.objects.select_related(
        "internet_eligibility", "residence_card_verification"
    ).get(pk=customer.pk)
    return (
        get_internet_eligibility(customer=loaded),
        get_residence_card_verification(customer=loaded),
    )


def list_unpaid_invoices(*, customer: Customer, now: datetime) -> list[Invoice]:
    """Every unpaid invoice, earliest due first, each annotated `reminded`.

    `reminded` says whether its INVOICE_DUE notification already exists inside the dedupe
    window, so the snapshot can skip notify() without another statement.
    """
    return list(
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.UNPAID)
        .annotate(
            reminded=recent_notification_exists(
                user_id=customer.user_id,
                type="INVOICE_DUE",
                source_id=Cast(OuterRef("pk"), output_field=CharField()),
                now=now,
            )
        )
        .only("id", "customer_id", "number", "due_date", "total", "currency", "status")
        .order_by("due_date", "id")
    )


def list_open_orders(*, customer: Customer) -> list[Order]:
    """Orders on their way (pending review, approved, provisioning), oldest first."""
    return list(
        Order.objects.filter(customer=customer, status__in=OPEN_ORDER_STATUSES)
        .select_related("plan")
        .order_by("placed_at", "id")
    )


def list_recently_changed_orders(*, customer: Customer, limit: int) -> list[Order]:
    """The orders whose latest event (placed, activated or failed) is most recent.

    An order activates or fails after it is placed, so its latest event is the first of
    those times that is set. Any of the `limit` newest order events belongs to one of these
    orders.
    """
    latest = Coalesce("activated_at", "failed_at", "placed_at")
    return list(
        Order.objects.filter(customer=customer)
        .only("id", "number", "status", "placed_at", "activated_at", "failed_at")
        .order_by(latest.desc(), "-id")[:limit]
    )


def list_recently_issued_invoices(*, customer: Customer, today: date, limit: int) -> list[Invoice]:
    return list(
        Invoice.objects.filter(customer=customer, issued_on__lte=today)
        .only("id", "number", "issued_on")
        .order_by("-issued_on", "-id")[:limit]
    )


def list_recently_paid_invoices(*, customer: Customer, limit: int) -> list[Invoice]:
    return list(
        Invoice.objects.filter(customer=customer, paid_at__isnull=False)
        .only("id", "number", "paid_at")
        .order_by("-paid_at", "-id")[:limit]
    )


def list_recent_cancellation_requests(
    *, customer: Customer, limit: int
) -> list[CancellationRequest]:
    return list(
        CancellationRequest.objects.filter(customer=customer)
        .select_related("subscription__plan")
        .order_by("-requested_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class SubscriptionCounts:
    total: int
    running: int


def count_subscriptions(*, customer: Customer) -> SubscriptionCounts:
    counts = Subscription.objects.filter(customer=customer).aggregate(
        total=Count("id"),
        running=Count("id", filter=Q(status__in=RUNNING_SUBSCRIPTION_STATUSES)),
    )
    return SubscriptionCounts(total=counts["total"], running=counts["running"])
