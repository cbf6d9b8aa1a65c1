"""Read queries for accounts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
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
