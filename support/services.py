"""Support use cases: a customer asks, staff reply, a request is closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, Language, User
from portal.api_errors import ApplicationError
from portal.locks import advisory_xact_lock
from staff.models import StaffActionType
from staff.services import record_staff_action
from support.models import SupportReply, SupportRequest, SupportRequestStatus, SupportTopic

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
                message=message,
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
            message=message,
            status=SupportRequestStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
    return CreatedSupportRequest(support_request=support_request, created=True)


def reply_to_support_request(
    *,
    support_request_id: int,
    author: User,
    message: str,
    language: str,
    now: datetime | None = None,
) -> SupportReply:
    """A staff reply, in the language staff say it is written in; the request is answered."""
    now = now or timezone.now()
    message = message.strip()
    if not message:
        raise ApplicationError(
            "validation_error", _("Write a reply."), fields={"message": [_("Write a reply.")]}
        )
    if language not in Language.values:
        raise ApplicationError(
            "validation_error",
            _("Say which language the reply is written in."),
            fields={"language": [_("Choose English or Japanese.")]},
        )
    with transaction.atomic():
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request_id)
        reply = SupportReply.objects.create(
            request=support_request,
            author=author,
            message=message,
            language=language,
            created_at=now,
        )
        support_request.status = SupportRequestStatus.ANSWERED
        support_request.updated_at = now
        support_request.save(update_fields=["status", "updated_at"])
        record_staff_action(
            actor=author,
            action=StaffActionType.SUPPORT_REPLY,
            customer=support_request.customer,
            subject=support_request,
            subject_label=f"Support request #{support_request.pk}",
            reason=message,
            details={"language": language},
            now=now,
        )
    return reply


def close_support_request(
    *, support_request_id: int, actor: User | None = None, now: datetime | None = None
) -> SupportRequest:
    """Close a request (closing it twice changes nothing); a staff member's close is logged."""
    now = now or timezone.now()
    with transaction.atomic():
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request_id)
        if support_request.status != SupportRequestStatus.CLOSED:
            support_request.status = SupportRequestStatus.CLOSED
            support_request.updated_at = now
            support_request.save(update_fields=["status", "updated_at"])
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
