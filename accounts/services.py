"""Account use cases: creating customers, logging in (with throttling), preferences."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import (
    Customer,
    InternetEligibility,
    Language,
    ResidenceCardVerification,
    User,
)
from portal.api_errors import ApplicationError


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
