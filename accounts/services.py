"""Account use cases: customers, logging in (with throttling), preferences, the two identity
gates (internet eligibility and residence card verification) and the CRM event inbox."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    CrmEvent,
    CrmEventState,
    Customer,
    EligibilityStatus,
    InternetEligibility,
    Language,
    ResidenceCardVerification,
    User,
    VerificationStatus,
)
from accounts.validators import normalize_postal_code
from dashboard.cache import mark_stale
from notifications.catalog import Text
from notifications.services import notify
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from staff.models import StaffActionType
from staff.services import record_staff_action

logger = logging.getLogger(__name__)


@transaction.atomic
def create_customer(
    *,
    email: str,
    password: str | None,
    name: str,
    crm_account_id: str | None = None,
    phone: str = "",
    language: str = Language.ENGLISH,
) -> Customer:
    user = User.objects.create_user(email=email, password=password)
    customer = Customer.objects.create(
        user=user, name=name, crm_account_id=crm_account_id or None, phone=phone, language=language
    )
    InternetEligibility.objects.create(customer=customer)
    ResidenceCardVerification.objects.create(customer=customer)
    return customer


def _failure_keys(email: str, address: str | None) -> list[tuple[str, int]]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"login-failures:account:{digest}", settings.LOGIN_FAILURE_LIMIT)]
    if address:
        keys.append((f"login-failures:address:{address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT))
    return keys


def _throttled(email: str, address: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _failure_keys(email, address))


def _record_failure(email: str, address: str | None) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _failure_keys(email, address):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=window)


def log_in(
    *, email: str, password: str, client_address: str | None, request: HttpRequest | None = None
) -> User:
    """Check credentials, refusing an account or address after repeated wrong passwords.

    The message never says whether the email exists, so accounts cannot be enumerated.
    """
    if _throttled(email, client_address):
        raise ApplicationError(
            "throttled", _("Too many failed attempts. Wait a few minutes and try again.")
        )
    user = authenticate(request, email=email.strip().lower(), password=password)
    if user is None:
        _record_failure(email, client_address)
        raise ApplicationError("not_authenticated", _("The email or password is not correct."))
    return user


def clear_login_failures(*, email: str) -> None:
    """Forget an account's wrong passwords: its owner just proved who they are."""
    account_key, _limit = _failure_keys(email, None)[0]
    cache.delete(account_key)


# --- Password reset -----------------------------------------------------------------------

# One reset mail per email address every five minutes (a double click sends one), and at
# most 20 requests an hour from one client address: the form cannot flood an inbox.
PASSWORD_RESET_EMAIL_INTERVAL_SECONDS = 5 * 60
PASSWORD_RESET_ADDRESS_LIMIT = 20
PASSWORD_RESET_ADDRESS_WINDOW_SECONDS = 60 * 60


def allow_password_reset_mail(*, email: str, client_address: str | None) -> bool:
    """Whether a reset mail may go out for this request, counting it if so.

    Callers answer the same either way, so nobody learns whether an email has an account
    or has been asked for already.
    """
    if client_address:
        key = f"password-reset:address:{client_address}"
        window = PASSWORD_RESET_ADDRESS_WINDOW_SECONDS
        if cache.add(key, 1, timeout=window):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=window)
                count = 1
        if count > PASSWORD_RESET_ADDRESS_LIMIT:
            return False
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    # add() is atomic in every cache backend: of two requests at once, one gets to send.
    return cache.add(
        f"password-reset:email:{digest}", 1, timeout=PASSWORD_RESET_EMAIL_INTERVAL_SECONDS
    )


def set_language(*, customer: Customer, language: str) -> Customer:
    if language not in Language.values:
        raise ApplicationError(
            "validation_error",
            _("Choose a supported language."),
            fields={"language": [_("Choose English or Japanese.")]},
        )
    if customer.language != language:
        customer.language = language
        customer.save(update_fields=["language"])
    return customer


def _notification_source_id(customer: Customer) -> str:
    """DESIGN.md names the Salesforce Account Id; customers without one get a stable portal id."""
    return customer.crm_account_id or f"customer:{customer.pk}"


# --- Internet eligibility ------------------------------------------------------------------

ELIGIBILITY_RESULTS = (EligibilityStatus.ELIGIBLE, EligibilityStatus.INELIGIBLE)
_ELIGIBILITY_NOTIFICATIONS = {
    EligibilityStatus.ELIGIBLE: "ELIGIBILITY_ELIGIBLE",
    EligibilityStatus.INELIGIBLE: "ELIGIBILITY_INELIGIBLE",
}


def _locked_eligibility(customer: Customer) -> InternetEligibility:
    # get_or_create covers customers made without create_customer; the lock serialises
    # the customer, support and the CRM changing the same row.
    eligibility, _created = InternetEligibility.objects.select_for_update().get_or_create(
        customer=customer
    )
    customer.internet_eligibility = eligibility
    # Whoever locks it is about to change it: the dashboard shows this row.
    mark_stale([customer.user_id])
    return eligibility


@transaction.atomic
def request_internet_eligibility(
    *, customer: Customer, postal_code: str, address: str, now: datetime
) -> InternetEligibility:
    """Ask whether our internet reaches an address; the check is `pending` until answered."""
    try:
        postal_code = normalize_postal_code(postal_code)
    except ValidationError as error:
        raise ApplicationError(
            "validation_error", error.messages[0], fields={"postalCode": error.messages}
        ) from error
    address = " ".join(address.split())
    if not address:
        message = _("Enter the address to check.")
        raise ApplicationError("validation_error", message, fields={"address": [message]})
    max_length = InternetEligibility._meta.get_field("address").max_length or 300
    if len(address) > max_length:
        message = _("Keep the address to %(count)d characters or fewer.") % {"count": max_length}
        raise ApplicationError("validation_error", message, fields={"address": [message]})

    eligibility = _locked_eligibility(customer)
    if eligibility.status == EligibilityStatus.PENDING:
        raise ApplicationError(
            "eligibility_check_pending",
            _("We are still checking the address you sent. You can ask again once we answer."),
        )
    eligibility.status = EligibilityStatus.PENDING
    eligibility.postal_code = postal_code
    eligibility.address = address
    eligibility.requested_at = now
    eligibility.checked_at = None
    eligibility.notes = ""
    eligibility.save(
        update_fields=["status", "postal_code", "address", "requested_at", "checked_at", "notes"]
    )
    return eligibility


@transaction.atomic
def record_eligibility_result(
    *,
    customer: Customer,
    status: str,
    notes: str | None = None,
    actor: User | None = None,
    now: datetime,
) -> InternetEligibility:
    """Set the answer of an eligibility check (support, logged as `actor`, or the CRM) and
    tell the customer.

    Setting the status it already has notifies nobody; `notes=None` keeps the notes.
    """
    if status not in ELIGIBILITY_RESULTS:
        message = _("An eligibility result is either eligible or ineligible.")
        raise ApplicationError("validation_error", message, fields={"status": [message]})
    notes = notes.strip() if notes is not None else None

    eligibility = _locked_eligibility(customer)

    def record() -> None:
        if actor is not None:
            record_staff_action(
                actor=actor,
                action=StaffActionType.ELIGIBILITY_SET,
                customer=customer,
                subject=eligibility,
                subject_label=f"Internet eligibility: {status}",
                reason=eligibility.notes,
                details={"status": status},
                now=now,
            )

    if eligibility.status == status:
        if notes is not None and notes != eligibility.notes:
            eligibility.notes = notes
            eligibility.save(update_fields=["notes"])
            record()
        return eligibility
    eligibility.status = status
    eligibility.checked_at = now
    eligibility.notes = notes or ""
    eligibility.save(update_fields=["status", "checked_at", "notes"])
    record()

    address = Text(en=eligibility.address, ja=eligibility.address) if eligibility.address else None
    notify(
        user=customer.user,
        type=_ELIGIBILITY_NOTIFICATIONS[EligibilityStatus(status)],
        source_id=_notification_source_id(customer),
        context={"address": address or gettext_lazy("your address")},
        now=now,
    )
    return eligibility


# --- Residence card verification -----------------------------------------------------------

RESIDENCE_CARD_MAX_BYTES = 10 * 1024 * 1024
# What the file starts with decides its type; its name and declared type are the sender's word.
_CARD_FILE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
VERIFICATION_RESULTS = (VerificationStatus.VERIFIED, VerificationStatus.REJECTED)
_VERIFICATION_NOTIFICATIONS = {
    VerificationStatus.VERIFIED: "VERIFICATION_VERIFIED",
    VerificationStatus.REJECTED: "VERIFICATION_REJECTED",
}


def _card_file_type(upload: UploadedFile | None) -> tuple[str | None, str | None]:
    """(content type, None) for an acceptable file, else (None, what is wrong with it)."""
    if upload is None or not upload.size:
        return None, _("The file is empty. Choose a photo or scan of your card.")
    if upload.size > RESIDENCE_CARD_MAX_BYTES:
        return None, _("The file is larger than 10 MB. Choose a smaller photo or scan.")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, content_type in _CARD_FILE_SIGNATURES:
        if head.startswith(signature):
            return content_type, None
    return None, _("Upload a JPEG, PNG or PDF file.")


def _locked_verification(customer: Customer) -> ResidenceCardVerification:
    verification, _created = ResidenceCardVerification.objects.select_for_update().get_or_create(
        customer=customer
    )
    customer.residence_card_verification = verification
    mark_stale([customer.user_id])
    return verification


def _delete_private_files(storage: Any, names: Iterable[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the private file %s", name, exc_info=True)


def submit_residence_card(
    *,
    customer: Customer,
    front: UploadedFile | None,
    back: UploadedFile | None,
    now: datetime,
) -> ResidenceCardVerification:
    """Store both sides of the card in private storage and put the verification in review."""
    content_types: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for field, upload in (("front", front), ("back", back)):
        content_type, problem = _card_file_type(upload)
        if problem:
            problems[field] = [problem]
        else:
            content_types[field] = str(content_type)
    if problems:
        raise ApplicationError("validation_error", next(iter(problems.values()))[0], problems)
    assert front is not None and back is not None

    storage = ResidenceCardVerification._meta.get_field("front_image").storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            verification = _locked_verification(customer)
            if verification.status == VerificationStatus.PENDING:
                raise ApplicationError(
                    "residence_card_review_pending",
                    _("We are reviewing the card you sent. We will tell you when it is done."),
                )
            if verification.status == VerificationStatus.VERIFIED:
                raise ApplicationError(
                    "residence_card_already_verified",
                    _("Your residence card is already verified."),
                )
            replaced = [file.name for file in (verification.front_image, verification.back_image)]
            verification.front_image.save("front", front, save=False)
            stored.append(verification.front_image.name)
            verification.back_image.save("back", back, save=False)
            stored.append(verification.back_image.name)
            verification.front_content_type = content_types["front"]
            verification.back_content_type = content_types["back"]
            verification.status = VerificationStatus.PENDING
            verification.submitted_at = now
            verification.reviewed_at = None
            verification.reviewed_by = None
            verification.rejection_reason = ""
            verification.card_expires_on = None
            verification.save()
            # Identity documents are kept no longer than needed: the old pair goes.
            transaction.on_commit(
                partial(_delete_private_files, storage, [name for name in replaced if name])
            )
    except BaseException:
        _delete_private_files(storage, stored)
        raise
    return verification


@transaction.atomic
def review_residence_card(
    *,
    customer: Customer,
    status: str,
    reviewer: User | None,
    card_expires_on: date | None = None,
    rejection_reason: str = "",
    now: datetime,
) -> ResidenceCardVerification:
    """Verify or reject a residence card (support or the CRM) and tell the customer.

    Setting the status it already has notifies nobody; it only updates the reason or expiry.
    A review by a staff member (`reviewer`) is logged as their action.
    """
    if status not in VERIFICATION_RESULTS:
        message = _("A review result is either verified or rejected.")
        raise ApplicationError("validation_error", message, fields={"status": [message]})
    reason = rejection_reason.strip()
    if status == VerificationStatus.REJECTED and not reason:
        message = _("Say why the card was rejected: the customer sees this reason.")
        raise ApplicationError("validation_error", message, fields={"rejectionReason": [message]})
    expired = card_expires_on is not None and card_expires_on < tokyo_today(now=now)
    if status == VerificationStatus.VERIFIED and expired:
        message = _("This card has expired, so it cannot be verified.")
        raise ApplicationError("validation_error", message, fields={"cardExpiresOn": [message]})

    verification = _locked_verification(customer)

    def record() -> None:
        if reviewer is not None:
            expires = verification.card_expires_on
            record_staff_action(
                actor=reviewer,
                action=StaffActionType.CARD_VERIFIED
                if status == VerificationStatus.VERIFIED
                else StaffActionType.CARD_REJECTED,
                customer=customer,
                subject=verification,
                subject_label=f"Residence card: {status}",
                reason=verification.rejection_reason,
                details={"cardExpiresOn": expires.isoformat() if expires else None},
                now=now,
            )

    if verification.status == status:
        changed = []
        if status == VerificationStatus.REJECTED and reason != verification.rejection_reason:
            verification.rejection_reason = reason
            changed.append("rejection_reason")
        if card_expires_on is not None and card_expires_on != verification.card_expires_on:
            verification.card_expires_on = card_expires_on
            changed.append("card_expires_on")
        if changed:
            verification.save(update_fields=changed)
            record()
        return verification
    verification.status = status
    verification.reviewed_at = now
    verification.reviewed_by = reviewer
    verification.rejection_reason = reason if status == VerificationStatus.REJECTED else ""
    verification.card_expires_on = (
        card_expires_on if status == VerificationStatus.VERIFIED else None
    )
    verification.save(
        update_fields=[
            "status",
            "reviewed_at",
            "reviewed_by",
            "rejection_reason",
            "card_expires_on",
        ]
    )
    record()
    notify(
        user=customer.user,
        type=_VERIFICATION_NOTIFICATIONS[VerificationStatus(status)],
        source_id=_notification_source_id(customer),
        context={"reason": Text.written(reason)} if status == VerificationStatus.REJECTED else {},
        now=now,
    )
    return verification


# --- CRM (Salesforce) events ---------------------------------------------------------------

CRM_EVENT_TYPES = ("AccountChanged",)


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


def receive_crm_event(
    *,
    event_id: str,
    type: str,
    account_id: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    raw_body: str,
    now: datetime,
) -> tuple[CrmEvent, bool]:
    """Store an event once by its id and process it after commit; (event, created).

    The unique event id makes concurrent deliveries of one event store one row: the
    losers of the race find it and report it as already seen.
    """
    from accounts.tasks import process_crm_event_task  # tasks import this module

    with transaction.atomic():
        event, created = CrmEvent.objects.get_or_create(
            event_id=event_id,
            defaults={
                "type": type,
                "account_id": account_id,
                "occurred_at": occurred_at,
                "payload": payload,
                "raw_body": raw_body,
                "received_at": now,
            },
        )
        if created:
            # Through the outbox: a broker outage neither fails the acknowledgement nor
            # loses the processing.
            enqueue_on_commit(process_crm_event_task, event.pk)
    return event, created


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
            review_residence_card(
                customer=customer,
                status=card,
                reviewer=None,
                rejection_reason=changes.get("residenceCardRejectionReason") or "",
                now=now,
            )
            outcome.append(f"Residence card set to {card}.")
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


def replay_crm_events(*, crm_event_ids: Iterable[int]) -> int:
    """Process unfinished events again (after a fix, or once the customer exists)."""
    from accounts.tasks import process_crm_event_task  # tasks import this module

    with transaction.atomic():
        events = CrmEvent.objects.select_for_update().filter(pk__in=list(crm_event_ids))
        ids = list(events.exclude(state=CrmEventState.PROCESSED).values_list("pk", flat=True))
        CrmEvent.objects.filter(pk__in=ids).update(
            state=CrmEventState.RECEIVED, error="", outcome="", processed_at=None
        )
        for pk in ids:
            enqueue_on_commit(process_crm_event_task, pk)
    return len(ids)
