"""Support use cases: a customer asks, the customer and staff write in turn, a request closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, Language, User
from notifications.services.notify import notify
from portal.api_errors import ApplicationError
from portal.locks import advisory_xact_lock
from staff.models import StaffActionType
from staff.services import record_staff_action
from support.models import (
    MessageAuthor,
    SupportMessage,
    SupportRequest,
    SupportRequestStatus,
    SupportTopic,
)
from support.rules import REOPEN_WINDOW

MESSAGE_MAX_LENGTH = 5000
# A second submit of the same message within this window is the same request (a double
# click, a retried request on a flaky connection), not a new one.
DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class CreatedSupportRequest:
    support_request: SupportRequest
    # False when the same message was sent moments ago: nothing new was stored.
    created: bool


def create_support_request(
    *, customer: Customer, topic: str, message: str, now: datetime | None = None
) -> CreatedSupportRequest:
    """Store what the customer asks; it waits in the staff queue as `open`."""
    now = now or timezone.now()
    message = message.strip()
    fields: dict[str, list[str]] = {}
    if topic not in SupportTopic.values:
        fields["topic"] = [_("Choose one of the topics.")]
    if not message:
        fields["message"] = [_("Write what you need help with.")]
    elif len(message) > MESSAGE_MAX_LENGTH:
        fields["message"] = [
            _("Keep your message under %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}
        ]
    if fields:
        raise ApplicationError(
            "validation_error", _("Check the topic and your message."), fields=fields
        )
    with transaction.atomic():
        advisory_xact_lock("support.requests", str(customer.pk))
        duplicate = (
            SupportRequest.objects.filter(
                customer=customer,
                topic=topic,
                messages__author_kind=MessageAuthor.CUSTOMER,
                messages__body=message,
                created_at__gte=now - DUPLICATE_WINDOW,
            )
            .order_by("-created_at")
            .first()
        )
        if duplicate is not None:
            return CreatedSupportRequest(support_request=duplicate, created=False)
        support_request = SupportRequest.objects.create(
            customer=customer,
            topic=topic,
            status=SupportRequestStatus.OPEN,
            created_at=now,
            updated_at=now,
            last_customer_message_at=now,
        )
        SupportMessage.objects.create(
            request=support_request,
            author_kind=MessageAuthor.CUSTOMER,
            body=message,
            language=customer.language,
            created_at=now,
        )
    return CreatedSupportRequest(support_request=support_request, created=True)


def _checked_body(body: str, *, empty: str) -> str:
    body = body.strip()
    if not body:
        raise ApplicationError("validation_error", empty, fields={"body": [empty]})
    if len(body) > MESSAGE_MAX_LENGTH:
        too_long = _("Keep your message under %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}
        raise ApplicationError("validation_error", too_long, fields={"body": [too_long]})
    return body


def post_customer_message(
    *, customer: Customer, support_request_id: int, body: str, now: datetime | None = None
) -> SupportMessage:
    """The customer writes on their request; it waits for staff again (`open`).

    The same message sent again within DUPLICATE_WINDOW is the one already stored.
    A request closed for less than REOPEN_WINDOW reopens; one closed longer refuses
    (`support_request_closed`): the customer asks a new one. Another customer's request
    is a 404.
    """
    now = now or timezone.now()
    body = _checked_body(body, empty=_("Write your message."))
    with transaction.atomic():
        support_request = (
            SupportRequest.objects.select_for_update()
            .filter(pk=support_request_id, customer=customer)
            .first()
        )
        if support_request is None:
            raise Http404("No such support request")
        if (
            support_request.status == SupportRequestStatus.CLOSED
            and support_request.closed_at is not None
            and support_request.closed_at < now - REOPEN_WINDOW
        ):
            raise ApplicationError(
                "support_request_closed",
                _(
                    "This request was closed more than 30 days ago. "
                    "Please send us a new request instead."
                ),
            )
        # The same message again moments later (a double submit) is the one already stored.
        duplicate = (
            SupportMessage.objects.filter(
                request=support_request,
                author_kind=MessageAuthor.CUSTOMER,
                body=body,
                created_at__gte=now - DUPLICATE_WINDOW,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if duplicate is not None:
            return duplicate
        message = SupportMessage.objects.create(
            request=support_request,
            author_kind=MessageAuthor.CUSTOMER,
            body=body,
            language=customer.language,
            created_at=now,
        )
        support_request.status = SupportRequestStatus.OPEN
        support_request.closed_at = None
        support_request.last_customer_message_at = now
        support_request.updated_at = now
        support_request.save(
            update_fields=["status", "closed_at", "last_customer_message_at", "updated_at"]
        )
    return message


def reply_to_support_request(
    *,
    support_request_id: int,
    author: User,
    message: str,
    language: str,
    now: datetime | None = None,
) -> SupportMessage:
    """A staff reply, in the language staff say it is written in.

    The request waits on the customer, who is told (`SUPPORT_REPLIED`, by their channel
    preferences) in the same transaction, once per message. A closed request reopens
    for the reply.
    """
    now = now or timezone.now()
    message = message.strip()
    if not message:
        raise ApplicationError(
            "validation_error", _("Write a reply."), fields={"message": [_("Write a reply.")]}
        )
    if len(message) > MESSAGE_MAX_LENGTH:
        too_long = _("Keep your message under %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}
        raise ApplicationError("validation_error", too_long, fields={"message": [too_long]})
    if language not in Language.values:
        raise ApplicationError(
            "validation_error",
            _("Say which language the reply is written in."),
            fields={"language": [_("Choose English or Japanese.")]},
        )
    with transaction.atomic():
        support_request = (
            SupportRequest.objects.select_for_update()
            .select_related("customer__user")
            .get(pk=support_request_id)
        )
        reply = SupportMessage.objects.create(
            request=support_request,
            author_kind=MessageAuthor.STAFF,
            staff_author=author,
            body=message,
            language=language,
            created_at=now,
        )
        support_request.status = SupportRequestStatus.WAITING_ON_CUSTOMER
        support_request.closed_at = None
        support_request.updated_at = now
        support_request.save(update_fields=["status", "closed_at", "updated_at"])
        record_staff_action(
            actor=author,
            action=StaffActionType.SUPPORT_REPLY,
            customer=support_request.customer,
            subject=support_request,
            subject_label=f"Support request #{support_request.pk}",
            reason=message,
            details={"language": language, "message_id": reply.pk},
            now=now,
        )
        notify(
            user=support_request.customer.user,
            type="SUPPORT_REPLIED",
            source_id=reply.pk,
            context={"request_id": support_request.pk},
            now=now,
        )
    return reply


def close_support_request(
    *,
    support_request_id: int,
    actor: User | None = None,
    customer: Customer | None = None,
    now: datetime | None = None,
) -> SupportRequest:
    """Close a request (closing it twice changes nothing); a staff member's close is logged.

    With `customer`, the customer closes their own request: another's is a 404.
    """
    now = now or timezone.now()
    with transaction.atomic():
        requests = SupportRequest.objects.select_for_update()
        if customer is not None:
            requests = requests.filter(customer=customer)
        support_request = requests.filter(pk=support_request_id).first()
        if support_request is None:
            raise Http404("No such support request")
        if support_request.status != SupportRequestStatus.CLOSED:
            support_request.status = SupportRequestStatus.CLOSED
            support_request.closed_at = now
            support_request.updated_at = now
            support_request.save(update_fields=["status", "closed_at", "updated_at"])
            if actor is not None:
                record_staff_action(
                    actor=actor,
                    action=StaffActionType.SUPPORT_CLOSED,
                    customer=support_request.customer,
                    subject=support_request,
                    subject_label=f"Support request #{support_request.pk}",
                    now=now,
                )
    return support_request
