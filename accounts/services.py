"""Account use cases: customers, logging in, the profile and the password, and the two identity
gates (internet eligibility and residence card verification)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import throttling, tokens
from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    Language,
    ResidenceCardVerification,
    User,
    VerificationStatus,
)
from accounts.validators import normalize_phone, normalize_postal_code
from notifications.catalog import Text
from notifications.services import notify
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


def log_in(*, email: str, password: str, request: HttpRequest | None) -> User:
    """Check credentials; the authentication backend refuses an account or address after
    repeated wrong passwords (accounts.throttling).

    The message never says whether the email exists, so accounts cannot be enumerated.
    """
    email = email.strip().lower()
    user = authenticate(request, email=email, password=password)
    if user is None:
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        if throttling.login_throttled(email=email, client_address=address):
            raise ApplicationError(
                "throttled",
                _("Too many failed attempts. Wait a few minutes and try again."),
                retry_after=throttling.login_retry_after_seconds(),
            )
        raise ApplicationError("not_authenticated", _("The email or password is not correct."))
    return user


def update_profile(
    *,
    customer: Customer,
    name: str | None = None,
    phone: str | None = None,
    language: str | None = None,
) -> Customer:
    """Change what the customer may change about themselves; None leaves a field as it is."""
    fields: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    if name is not None:
        name = " ".join(name.split())
        max_length = Customer._meta.get_field("name").max_length or 200
        if not name:
            fields["name"] = [_("Enter your name.")]
        elif len(name) > max_length:
            fields["name"] = [
                _("Keep your name to %(count)d characters or fewer.") % {"count": max_length}
            ]
        else:
            changes["name"] = name
    if phone is not None:
        try:
            changes["phone"] = normalize_phone(phone)
        except ValidationError as error:
            fields["phone"] = list(error.messages)
    if language is not None:
        if language not in Language.values:
            fields["language"] = [_("Choose English or Japanese.")]
        else:
            changes["language"] = language
    if fields:
        raise ApplicationError("validation_error", _("Some fields need attention."), fields)
    changed = [key for key, value in changes.items() if getattr(customer, key) != value]
    for key in changed:
        setattr(customer, key, changes[key])
    if changed:
        customer.save(update_fields=changed)
    return customer


def change_password(
    *, user: User, current_password: str, new_password: str, request: HttpRequest | None
) -> User:
    """Set a new password once the current one is proved; every API token issued before
    stops working. Wrong current passwords count like wrong logins (they are one)."""
    fields: dict[str, list[str]] = {}
    if authenticate(request, email=user.email, password=current_password) is None:
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        if throttling.login_throttled(email=user.email, client_address=address):
            raise ApplicationError(
                "throttled",
                _("Too many failed attempts. Wait a few minutes and try again."),
                retry_after=throttling.login_retry_after_seconds(),
            )
        fields["currentPassword"] = [_("The current password is not correct.")]
    # Both mistakes at once: a wrong current password and a weak new one are two fixes.
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        fields["newPassword"] = list(error.messages)
    if fields:
        raise ApplicationError("validation_error", next(iter(fields.values()))[0], fields)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        tokens.revoke_all_tokens(user=user)
    return user


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


def _notification_source_id(record: InternetEligibility | ResidenceCardVerification) -> str:
    """The check or review that produced a result: the record and the moment of the result,
    so a second rejection an hour after the first is told, and a repeated result is not."""
    moment = getattr(record, "checked_at", None) or getattr(record, "reviewed_at", None)
    return f"{record.pk}:{moment:%Y%m%dT%H%M%S%f}" if moment else str(record.pk)


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
    return eligibility


@transaction.atomic
def request_internet_eligibility(
    *, customer: Customer, postal_code: str, address: str, now: datetime
) -> InternetEligibility:
    """Ask whether our internet reaches an address; the check is `pending` until answered."""
    # Every mistake at once: the customer fixes both fields in one go.
    fields: dict[str, list[str]] = {}
    try:
        postal_code = normalize_postal_code(postal_code)
    except ValidationError as error:
        fields["postalCode"] = list(error.messages)
    address = " ".join(address.split())
    max_length = InternetEligibility._meta.get_field("address").max_length or 300
    if not address:
        fields["address"] = [_("Enter the address to check.")]
    elif len(address) > max_length:
        fields["address"] = [
            _("Keep the address to %(count)d characters or fewer.") % {"count": max_length}
        ]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ApplicationError("validation_error", first, fields=fields)

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
    eligibility.notes_ja = ""
    eligibility.save(
        update_fields=[
            "status",
            "postal_code",
            "address",
            "requested_at",
            "checked_at",
            "notes",
            "notes_ja",
        ]
    )
    return eligibility


@transaction.atomic
def record_eligibility_result(
    *,
    customer: Customer,
    status: str,
    notes: str | None = None,
    notes_ja: str | None = None,
    actor: User | None = None,
    now: datetime,
) -> InternetEligibility:
    """Set the answer of an eligibility check (support, logged as `actor`, or the CRM) and
    tell the customer.

    Setting the status it already has notifies nobody; `notes=None` and `notes_ja=None`
    keep the notes. Notes come in English and Japanese; one alone (the CRM's) is placed by
    its script.
    """
    if status not in ELIGIBILITY_RESULTS:
        message = _("An eligibility result is either eligible or ineligible.")
        raise ApplicationError("validation_error", message, fields={"status": [message]})
    written = None if notes is None and notes_ja is None else Text.of(notes, notes_ja)

    eligibility = _locked_eligibility(customer)

    def record() -> None:
        if actor is not None:
            record_staff_action(
                actor=actor,
                action=StaffActionType.ELIGIBILITY_SET,
                customer=customer,
                subject=eligibility,
                subject_label=f"Internet eligibility: {status}",
                reason=_both(eligibility.notes_text),
                details={"status": status},
                now=now,
            )

    if eligibility.status == status:
        if written is not None and written != eligibility.notes_text:
            eligibility.notes, eligibility.notes_ja = written.en, written.ja
            eligibility.save(update_fields=["notes", "notes_ja"])
            record()
        return eligibility
    eligibility.status = status
    eligibility.checked_at = now
    eligibility.notes = written.en if written is not None else ""
    eligibility.notes_ja = written.ja if written is not None else ""
    eligibility.save(update_fields=["status", "checked_at", "notes", "notes_ja"])
    record()

    address = Text(en=eligibility.address, ja=eligibility.address) if eligibility.address else None
    notify(
        user=customer.user,
        type=_ELIGIBILITY_NOTIFICATIONS[EligibilityStatus(status)],
        source_id=_notification_source_id(eligibility),
        context={"address": address or gettext_lazy("your address")},
        now=now,
    )
    return eligibility


def _both(text: Text) -> str:
    """Staff text in both languages, for the staff action log."""
    return "\n".join(part for part in (text.en, text.ja) if part)


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
            if verification.status == VerificationStatus.VERIFIED and not (
                verification.renewal_due(today=tokyo_today(now=now))
            ):
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
            verification.rejection_reason_ja = ""
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
    rejection_reason_ja: str = "",
    now: datetime,
) -> ResidenceCardVerification:
    """Verify or reject a residence card (support or the CRM) and tell the customer.

    Setting the status it already has notifies nobody; it only updates the reason or expiry.
    A review by a staff member (`reviewer`) is logged as their action.
    """
    if status not in VERIFICATION_RESULTS:
        message = _("A review result is either verified or rejected.")
        raise ApplicationError("validation_error", message, fields={"status": [message]})
    reason = Text.of(rejection_reason, rejection_reason_ja)
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
                reason=_both(verification.rejection_reason_text),
                details={"cardExpiresOn": expires.isoformat() if expires else None},
                now=now,
            )

    if verification.status == status:
        changed = []
        if status == VerificationStatus.REJECTED and reason != verification.rejection_reason_text:
            verification.rejection_reason, verification.rejection_reason_ja = reason.en, reason.ja
            changed += ["rejection_reason", "rejection_reason_ja"]
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
    rejected = status == VerificationStatus.REJECTED
    verification.rejection_reason = reason.en if rejected else ""
    verification.rejection_reason_ja = reason.ja if rejected else ""
    verification.card_expires_on = (
        card_expires_on if status == VerificationStatus.VERIFIED else None
    )
    verification.save(
        update_fields=[
            "status",
            "reviewed_at",
            "reviewed_by",
            "rejection_reason",
            "rejection_reason_ja",
            "card_expires_on",
        ]
    )
    record()
    notify(
        user=customer.user,
        type=_VERIFICATION_NOTIFICATIONS[VerificationStatus(status)],
        source_id=_notification_source_id(verification),
        context={"reason": reason} if rejected else {},
        now=now,
    )
    return verification


# --- Deactivation by support ----------------------------------------------------------------


def _end_sessions(user: User, *, now: datetime) -> int:
    """Delete the user's browser sessions (database sessions carry the user id only inside)."""
    from django.contrib.sessions.models import Session

    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now).iterator(chunk_size=500)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


@transaction.atomic
def deactivate_customer(*, customer: Customer, actor: User, reason: str, now: datetime) -> Customer:
    """Support closes a customer's access: no login, their sessions end, their tokens stop
    working (both check `is_active`). Nothing is deleted. Deactivating twice does nothing."""
    reason = reason.strip()
    if not reason:
        message = _("Say why the customer is deactivated.")
        raise ApplicationError("validation_error", message, fields={"reason": [message]})
    user = User.objects.select_for_update().get(pk=customer.user_id)
    if not user.is_active:
        return customer
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Every token issued until now stays refused, also after a reactivation.
    tokens.revoke_all_tokens(user=user)
    customer.user = user
    sessions = _end_sessions(user, now=now)
    record_staff_action(
        actor=actor,
        action=StaffActionType.CUSTOMER_DEACTIVATED,
        customer=customer,
        subject=customer,
        subject_label=user.email,
        reason=reason,
        details={"sessionsEnded": sessions},
        now=now,
    )
    return customer


@transaction.atomic
def reactivate_customer(*, customer: Customer, actor: User, reason: str, now: datetime) -> Customer:
    """Undo a deactivation: the customer can log in again (with a new session)."""
    user = User.objects.select_for_update().get(pk=customer.user_id)
    if user.is_active:
        return customer
    user.is_active = True
    user.save(update_fields=["is_active"])
    customer.user = user
    record_staff_action(
        actor=actor,
        action=StaffActionType.CUSTOMER_REACTIVATED,
        customer=customer,
        subject=customer,
        subject_label=user.email,
        reason=reason.strip(),
        now=now,
    )
    return customer
