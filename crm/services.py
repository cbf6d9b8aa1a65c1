"""The CRM (Salesforce) event inbox: the signature, storing each event once, applying it to
its customer through the account services, failures and re-plays."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from crm.models import CrmEvent, CrmEventState
from crm.parsers import ParsedEvent
from eligibility.services import record_eligibility_result
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from staff.models import StaffActionType
from staff.services import record_staff_action
from verification.services.review import review_residence_card

logger = logging.getLogger(__name__)


def verify_crm_signature(*, body: bytes, signature: str | None) -> None:
    """Refuse a body not signed `sha256=<hex HMAC-SHA256>` with CRM_WEBHOOK_SECRET.

    Runs before anything reads the body. The comparison takes the same time however much
    of the signature matches, so it cannot be guessed byte by byte.
    """
    secret = settings.CRM_WEBHOOK_SECRET
    refused = ApplicationError("not_authenticated", _("The event signature is missing or wrong."))
    if not secret:
        logger.error("A CRM event was refused: CRM_WEBHOOK_SECRET is not configured.")
        raise refused
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    provided = (signature or "").strip().lower()
    if not hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace")):
        raise refused


def receive_crm_event(*, event: ParsedEvent, now: datetime) -> tuple[CrmEvent, bool]:
    """Store an event once by its id and process it after commit; (event, created).

    The unique event id makes concurrent deliveries of one event store one row: the
    losers of the race find it and report it as already seen.
    """
    from crm.tasks import process_crm_event_task  # tasks import this module

    with transaction.atomic():
        stored, created = CrmEvent.objects.get_or_create(
            event_id=event.event_id,
            defaults={
                "type": event.type,
                "account_id": event.account_id,
                "occurred_at": event.occurred_at,
                "payload": event.payload,
                "raw_body": event.raw_body,
                "received_at": now,
            },
        )
        if created:
            # Through the outbox: a broker outage neither fails the acknowledgement nor
            # loses the processing.
            enqueue_on_commit(process_crm_event_task, stored.pk)
    return stored, created


def _superseded(event: CrmEvent, key: str) -> bool:
    """Whether a later event for the same account already set `key` (deliveries reorder)."""
    return (
        CrmEvent.objects.filter(
            account_id=event.account_id,
            state=CrmEventState.PROCESSED,
            occurred_at__gt=event.occurred_at,
            payload__changes__has_key=key,
        )
        .exclude(pk=event.pk)
        .exists()
    )


def _apply_account_changes(*, event: CrmEvent, customer: Customer, now: datetime) -> str:
    changes = event.payload.get("changes") or {}
    outcome: list[str] = []
    eligibility = changes.get("internetEligibilityStatus")
    if eligibility is not None:
        if _superseded(event, "internetEligibilityStatus"):
            outcome.append("Internet eligibility skipped: a later event already set it.")
        else:
            record_eligibility_result(
                customer=customer,
                status=eligibility,
                notes=changes.get("internetEligibilityNotes"),
                now=now,
            )
            outcome.append(f"Internet eligibility set to {eligibility}.")
    card = changes.get("residenceCardStatus")
    if card is not None:
        if _superseded(event, "residenceCardStatus"):
            outcome.append("Residence card skipped: a later event already set it.")
        else:
            # Stored as received; the parser took it as a date (DRF's own parse_date).
            expires_on = parse_date(changes.get("residenceCardExpiresOn") or "")
            review_residence_card(
                customer=customer,
                status=card,
                reviewer=None,
                card_expires_on=expires_on,
                rejection_reason=changes.get("residenceCardRejectionReason") or "",
                now=now,
            )
            expiry = f", expiring on {expires_on.isoformat()}" if expires_on else ""
            outcome.append(f"Residence card set to {card}{expiry}.")
    return " ".join(outcome) or "No change the portal acts on."


def process_crm_event(*, crm_event_id: int, now: datetime) -> CrmEvent | None:
    """Apply a stored event to its customer through the same services support uses.

    Safe to run again: a processed event is left alone. An unknown account marks it
    `unmatched`; a change a business rule refuses marks it `failed` at once (trying
    again cannot help). Anything else raises, and the task retries.
    """
    with transaction.atomic():
        event = CrmEvent.objects.select_for_update().filter(pk=crm_event_id).first()
        if event is None or event.state == CrmEventState.PROCESSED:
            return event
        event.attempts += 1
        event.processed_at = now
        customer = (
            Customer.objects.select_related("user").filter(crm_account_id=event.account_id).first()
        )
        event.customer = customer
        if customer is None:
            event.state = CrmEventState.UNMATCHED
            event.outcome = "No customer has this Salesforce Account Id."
            event.error = ""
            event.save()
            return event
        try:
            with transaction.atomic():
                event.outcome = _apply_account_changes(event=event, customer=customer, now=now)
        except ApplicationError as refused:
            event.state = CrmEventState.FAILED
            event.outcome = ""
            event.error = refused.message
        else:
            event.state = CrmEventState.PROCESSED
            event.error = ""
        event.save()
    return event


def record_crm_event_failure(*, crm_event_id: int, error: str, final: bool, now: datetime) -> None:
    """Count a failed attempt (outside its rolled-back transaction); `final` gives up."""
    updates: dict[str, Any] = {"attempts": F("attempts") + 1, "error": error[:4000]}
    if final:
        updates.update(state=CrmEventState.FAILED, processed_at=now)
    CrmEvent.objects.filter(pk=crm_event_id).exclude(state=CrmEventState.PROCESSED).update(
        **updates
    )


def replay_crm_events(*, crm_event_ids: Iterable[int], actor: User | None = None) -> int:
    """Process unfinished events again (after a fix, or once the customer exists).

    A staff member's replay (`actor`) is logged once per event, on its customer if known.
    """
    from crm.tasks import process_crm_event_task  # tasks import this module

    with transaction.atomic():
        events = CrmEvent.objects.select_for_update().filter(pk__in=list(crm_event_ids))
        replayed = list(events.exclude(state=CrmEventState.PROCESSED))
        ids = [event.pk for event in replayed]
        CrmEvent.objects.filter(pk__in=ids).update(
            state=CrmEventState.RECEIVED, error="", outcome="", processed_at=None
        )
        now = timezone.now()
        for event in replayed:
            if actor is not None:
                record_staff_action(
                    actor=actor,
                    action=StaffActionType.CRM_EVENT_REPLAYED,
                    customer=event.customer,
                    subject=event,
                    subject_label=event.event_id,
                    details={"previousState": event.state},
                    now=now,
                )
            enqueue_on_commit(process_crm_event_task, event.pk)
    return len(ids)
