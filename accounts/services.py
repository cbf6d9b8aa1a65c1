"""Account use cases: customers, logging in, the profile and the password, and deactivation by
support. The two identity gates have their own apps: `eligibility` and `verification`."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import throttling, tokens
from accounts.models import (
    Customer,
    InternetEligibility,
    Language,
    ResidenceCardVerification,
    User,
)
from accounts.validators import normalize_phone
from portal.api_errors import ApplicationError
from staff.models import StaffActionType
from staff.services import record_staff_action


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
    """Check credentials; after repeated wrong passwords the authentication backend makes
    that account wait at the address that sent them (accounts.throttling).

    The message never says whether the email exists, so accounts cannot be enumerated.
    """
    email = email.strip().lower()
    user = authenticate(request, email=email, password=password)
    if user is None:
        _refuse_if_throttled()
        raise ApplicationError("not_authenticated", _("The email or password is not correct."))
    return user


def _refuse_if_throttled() -> None:
    """The password was not even checked: say how long to wait (API.md: `429`)."""
    retry_after = throttling.login_refusal()
    if retry_after is not None:
        raise ApplicationError(
            "throttled", throttling.refusal_message(retry_after), retry_after=retry_after
        )


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
        _refuse_if_throttled()
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
