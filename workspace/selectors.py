"""Reads for support staff: the work queues, customer search and one customer's whole picture."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace
from django.http import Http404
from django.urls import reverse

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    VerificationStatus,
)
from billing.models import Invoice, PaymentMethod
from dashboard.services import MeStatus, build_me_status
from notifications.models import Device, Notification
from notifications.selectors import list_devices
from orders.models import Order, OrderStatus
from outbox.selectors import count_stuck_workflows, stuck_workflows
from staff.models import StaffAction
from subscriptions.models import Subscription
from support.models import SupportRequest
from support.selectors import open_support_requests

QUEUE_PREVIEW = 10


@dataclass(frozen=True)
class QueueItem:
    label: str
    customer: str
    since: datetime | None
    url: str


@dataclass(frozen=True)
class WorkQueue:
    key: str
    title: str
    count: int
    items: tuple[QueueItem, ...]
    list_url: str

    @property
    def oldest(self) -> datetime | None:
        return self.items[0].since if self.items else None


def _queue(
    *,
    key: str,
    title: str,
    queryset: QuerySet[Any],
    since: str,
    label: Callable[[Any], str],
    url_name: str,
    list_url: str,
) -> WorkQueue:
    """Oldest first: what has waited longest is done first."""
    rows = list(queryset.order_by(since, "pk")[:QUEUE_PREVIEW])
    count = len(rows) if len(rows) < QUEUE_PREVIEW else queryset.count()
    items = tuple(
        QueueItem(
            label=label(row),
            customer=row.customer.name,
            since=getattr(row, since),
            url=reverse(url_name, args=[row.pk]),
        )
        for row in rows
    )
    return WorkQueue(key=key, title=title, count=count, items=items, list_url=list_url)


def _stuck_queue() -> WorkQueue:
    """Work the sweep enqueued again more than once and that is still unfinished."""
    stuck = stuck_workflows(limit=QUEUE_PREVIEW)
    count = len(stuck) if len(stuck) < QUEUE_PREVIEW else count_stuck_workflows()
    return WorkQueue(
        key="stuck",
        title="Workflows the sweep found stuck",
        count=count,
        items=tuple(
            QueueItem(
                label=f"{workflow.label} #{workflow.object_id} "
                f"(enqueued again {workflow.attempts} times)",
                customer="",
                since=workflow.first_found_at,
                url=workflow.admin_url or "",
            )
            for workflow in stuck
        ),
        list_url="",
    )


def list_work_queues() -> list[WorkQueue]:
    """What support has to do, each queue oldest first with its count (two statements each)."""
    return [
        _queue(
            key="orders",
            title="Orders to review",
            queryset=Order.objects.filter(status=OrderStatus.PENDING_REVIEW).select_related(
                "customer", "plan"
            ),
            since="placed_at",
            label=lambda order: f"{order.number}: {order.plan.name}",
            url_name="admin:orders_order_change",
            list_url=reverse("admin:orders_order_changelist") + "?status__exact=pending_review",
        ),
        _queue(
            key="residence_cards",
            title="Residence cards to review",
            queryset=ResidenceCardVerification.objects.filter(
                status=VerificationStatus.PENDING
            ).select_related("customer"),
            since="submitted_at",
            label=lambda _card: "Residence card",
            url_name="admin:accounts_residencecardverification_review",
            list_url=reverse("admin:accounts_residencecardverification_changelist")
            + "?status__exact=pending",
        ),
        _queue(
            key="support_requests",
            title="Support requests open",
            queryset=open_support_requests(),
            since="created_at",
            label=lambda support_request: (
                f"#{support_request.pk} {support_request.get_topic_display()}"
            ),
            url_name="admin:support_supportrequest_change",
            list_url=reverse("admin:support_supportrequest_changelist") + "?status__exact=open",
        ),
        _stuck_queue(),
        _queue(
            key="eligibility",
            title="Eligibility checks to answer",
            queryset=InternetEligibility.objects.filter(
                status=EligibilityStatus.PENDING
            ).select_related("customer"),
            since="requested_at",
            label=lambda check: f"Eligibility check {check.postal_code}".strip(),
            url_name="admin:accounts_interneteligibility_result",
            list_url=reverse("admin:accounts_interneteligibility_changelist")
            + "?status__exact=pending",
        ),
    ]


# --- Finding a customer -------------------------------------------------------------------


def search_customers(*, queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Customers by email, name, phone (with or without hyphens), CRM account id, or the
    number of one of their orders or invoices."""
    query = query.strip()
    if not query:
        return queryset
    condition = (
        Q(name__icontains=query)
        | Q(user__email__icontains=query)
        | Q(crm_account_id__iexact=query)
        | Q(orders__number__iexact=query)
        | Q(orders__external_id__iexact=query)
        | Q(invoices__number__iexact=query)
    )
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and re.fullmatch(r"[\d\s\-+()]+", query):
        queryset = queryset.alias(
            phone_digits=Replace(Replace("phone", Value("-"), Value("")), Value(" "), Value(""))
        )
        condition |= Q(phone_digits__contains=digits)
    return queryset.filter(condition).distinct()


# --- One customer ---------------------------------------------------------------------------

OVERVIEW_ROWS = 20


@dataclass(frozen=True)
class CustomerOverview:
    customer: Customer
    snapshot: MeStatus
    orders: list[Order]
    subscriptions: list[Subscription]
    invoices: list[Invoice]
    payment_methods: list[PaymentMethod]
    notifications: list[Notification]
    devices: list[Device]
    support_requests: list[SupportRequest]
    staff_actions: list[StaffAction]


def get_customer_overview(*, customer_id: int, now: datetime) -> CustomerOverview:
    """Everything support needs on one page; builds the customer's snapshot without writing."""
    customer = (
        Customer.objects.select_related(
            "user", "internet_eligibility", "residence_card_verification"
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404
    return CustomerOverview(
        customer=customer,
        snapshot=build_me_status(customer=customer, now=now, remind=False),
        orders=list(
            customer.orders.select_related("plan").order_by("-placed_at", "-pk")[:OVERVIEW_ROWS]
        ),
        subscriptions=list(
            customer.subscriptions.select_related("plan")
            .prefetch_related("cancellation_requests")
            .order_by("-pk")[:OVERVIEW_ROWS]
        ),
        invoices=list(customer.invoices.order_by("-issued_on", "-pk")[:OVERVIEW_ROWS]),
        payment_methods=list(customer.payment_methods.order_by("-is_default", "-pk")),
        notifications=list(
            Notification.objects.filter(user_id=customer.user_id).order_by("-created_at", "-pk")[
                :OVERVIEW_ROWS
            ]
        ),
        devices=list_devices(user=customer.user),
        support_requests=list(
            customer.support_requests.prefetch_related("messages").order_by("-created_at", "-pk")[
                :OVERVIEW_ROWS
            ]
        ),
        staff_actions=list(
            customer.staff_actions.select_related("actor").order_by("-created_at", "-pk")[
                :OVERVIEW_ROWS
            ]
        ),
    )
