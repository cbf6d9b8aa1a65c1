"""Read queries for support requests: the customer's own list and the staff queue."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import Customer
from portal.pagination import Page, paginate
from support.models import SupportReply, SupportRequest, SupportRequestStatus


def list_support_requests(
    *, customer: Customer, limit: int, cursor: str | None = None
) -> Page[SupportRequest]:
    """One page of the customer's requests, newest first, with the staff replies."""
    requests = SupportRequest.objects.filter(customer=customer).prefetch_related(
        Prefetch("replies", queryset=SupportReply.objects.order_by("created_at", "id"))
    )
    return paginate(requests, order_field="created_at", limit=limit, cursor=cursor)


def open_support_requests() -> QuerySet[SupportRequest]:
    """The staff queue: requests waiting for an answer, oldest first."""
    return (
        SupportRequest.objects.filter(status=SupportRequestStatus.OPEN)
        .select_related("customer__user")
        .order_by("created_at", "id")
    )
