"""Internet eligibility: the customer asks whether our internet reaches an address, support
or the CRM answers, and the customer is told.

The table is `accounts.InternetEligibility` (created with the customer); this app owns its
rules, its page, its endpoint and its admin.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Customer, EligibilityStatus, InternetEligibility, User
from accounts.validators import normalize_postal_code
from notifications.services.notify import notify
from portal.api_errors import ApplicationError
from portal.text import Text
from staff.models import StaffActionType
from staff.services import record_staff_action

ELIGIBILITY_RESULTS = (EligibilityStatus.ELIGIBLE, EligibilityStatus.INELIGIBLE)
_ELIGIBILITY_NOTIFICATIONS = {
    EligibilityStatus.ELIGIBLE: "ELIGIBILITY_ELIGIBLE",
    EligibilityStatus.INELIGIBLE: "ELIGIBILITY_INELIGIBLE",
}


def _notification_source_id(eligibility: InternetEligibility) -> str:
    """The check that produced a result: the record and the moment of the result, so a
    second result an hour after the first is told, and a repeated result is not."""
    moment = eligibility.checked_at
    return f"{eligibility.pk}:{moment:%Y%m%dT%H%M%S%f}" if moment else str(eligibility.pk)


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
