"""Read queries for support requests: the customer's own list and threads, the staff queue."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from portal.pagination import Page, paginate
from support.models import MessageAuthor, SupportMessage, SupportRequest, SupportRequestStatus
from support.rules import REOPEN_WINDOW


def _with_messages(requests: QuerySet[SupportRequest]) -> QuerySet[SupportRequest]:
    return requests.prefetch_related(
        Prefetch(
            "messages",
            queryset=SupportMessage.objects.select_related("staff_author").order_by(
                "created_at", "id"
            ),
        )
    )


def author_name(message: SupportMessage) -> str:
    """Who wrote a message, as the customer sees it: their own name, or the staff member's
    first name with the team's."""
    if message.author_kind == MessageAuthor.CUSTOMER:
        return message.request.customer.name
    first_name = message.staff_author.first_name if message.staff_author else ""
    return first_name or str(_("Support team"))


def list_support_requests(
    *, customer: Customer, limit: int, cursor: str | None = None
) -> Page[SupportRequest]:
    """One page of the customer's requests, newest first, each with its thread."""
    requests = _with_messages(
        SupportRequest.objects.filter(customer=customer).select_related("customer")
    )
    return paginate(requests, order_field="created_at", limit=limit, cursor=cursor)


def get_support_request_for_customer(
    *, customer: Customer, support_request_id: int
) -> SupportRequest:
    """The customer's own request with its thread, oldest message first; another's is a 404."""
    support_request = (
        _with_messages(SupportRequest.objects.filter(customer=customer).select_related("customer"))
        .filter(pk=support_request_id)
        .first()
    )
    if support_request is None:
        raise Http404("No such support request")
    return support_request


def get_support_request_thread(*, support_request_id: int) -> list[SupportMessage]:
    """Staff's view of a thread: every message, oldest first."""
    return list(
        SupportMessage.objects.filter(request_id=support_request_id)
        .select_related("staff_author")
        .order_by("created_at", "id")
    )


def customer_can_write(*, support_request: SupportRequest, now: datetime | None = None) -> bool:
    """Whether the customer's message would be taken: not closed for more than the reopen
    window (services.REOPEN_WINDOW, 30 days)."""
    if support_request.status != SupportRequestStatus.CLOSED or support_request.closed_at is None:
        return True
    now = now or timezone.now()
    return support_request.closed_at >= now - REOPEN_WINDOW


def open_support_requests() -> QuerySet[SupportRequest]:
    """The staff queue: requests waiting for staff, longest waiting since the customer wrote
    first."""
    return (
        SupportRequest.objects.filter(status=SupportRequestStatus.OPEN)
        .select_related("customer__user")
        .order_by("last_customer_message_at", "id")
    )
