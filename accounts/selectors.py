"""Read queries for accounts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models.fields.files import FieldFile
from django.http import Http404

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    VerificationStatus,
)


def get_customer_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Customer:
    """The customer behind a login; Http404 for staff or anyone without one."""
    customer = getattr(user, "customer", None) if user.is_authenticated else None
    if customer is None:
        raise Http404("No customer for this login.")
    return customer


def get_internet_eligibility(*, customer: Customer) -> InternetEligibility:
    """The customer's eligibility, or an unsaved `not_requested` one when none exists yet."""
    try:
        return customer.internet_eligibility
    except InternetEligibility.DoesNotExist:
        return InternetEligibility(customer=customer, status=EligibilityStatus.NOT_REQUESTED)


def get_residence_card_verification(*, customer: Customer) -> ResidenceCardVerification:
    try:
        return customer.residence_card_verification
    except ResidenceCardVerification.DoesNotExist:
        return ResidenceCardVerification(customer=customer, status=VerificationStatus.NOT_SUBMITTED)


RESIDENCE_CARD_SIDES = ("front", "back")


def get_residence_card_file(*, verification_id: int, side: str) -> tuple[FieldFile, str]:
    """One side of a stored residence card and its content type, for support staff only.

    Callers check staff access; there is no customer scope because no customer route
    serves these files. Http404 when the card or that side does not exist.
    """
    if side not in RESIDENCE_CARD_SIDES:
        raise Http404("No such side.")
    verification = ResidenceCardVerification.objects.filter(pk=verification_id).first()
    if verification is None:
        raise Http404("No such verification.")
    file = getattr(verification, f"{side}_image")
    if not file:
        raise Http404("Nothing uploaded.")
    return file, getattr(verification, f"{side}_content_type") or "application/octet-stream"
