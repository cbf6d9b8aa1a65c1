"""Residence card verification: the customer uploads both sides of the card (kept in private
storage), support or the CRM reviews it, and the customer is told.

The table is `accounts.ResidenceCardVerification` (created with the customer); this app owns
its rules, its page, its endpoint, its admin and the reminders before the card expires.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Customer, ResidenceCardVerification, User, VerificationStatus
from notifications.services.notify import notify
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from portal.text import Text
from staff.models import StaffActionType
from staff.services import record_staff_action

logger = logging.getLogger(__name__)

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


def _notification_source_id(verification: ResidenceCardVerification) -> str:
    """The review that produced a result: the record and the moment of the result, so a
    second rejection an hour after the first is told, and a repeated result is not."""
    moment = verification.reviewed_at
    return f"{verification.pk}:{moment:%Y%m%dT%H%M%S%f}" if moment else str(verification.pk)


def _both(text: Text) -> str:
    """Staff text in both languages, for the staff action log."""
    return "\n".join(part for part in (text.en, text.ja) if part)


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
