"""Throttles on logging in and on password reset mails, on the counters of portal.counters.

Logins are counted in the authentication backend, which every login passes through (the
login page, the API and the admin), and counted before the password is checked: of many
wrong passwords sent at once, only the first few are ever checked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied

from portal import counters


class LoginThrottled(PermissionDenied):
    """Too many failed logins for this account or client address: not even checked.

    A PermissionDenied, so `django.contrib.auth.authenticate` answers None (and signals a
    failed login) to every caller; `login_throttled()` tells the callers that say so apart.
    """


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _login_keys(email: str, client_address: str | None) -> list[tuple[str, int]]:
    keys = [(f"login-failures:account:{_email_digest(email)}", settings.LOGIN_FAILURE_LIMIT)]
    if client_address:
        keys.append(
            (f"login-failures:address:{client_address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT)
        )
    return keys


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt counted as a failure until it succeeds."""

    keys: tuple[str, ...]

    def succeeded(self) -> None:
        for key in self.keys:
            counters.uncount(key)


def begin_login_attempt(*, email: str, client_address: str | None) -> LoginAttempt:
    """Count an attempt for the account and the address; LoginThrottled over either limit."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    keys = _login_keys(email, client_address)
    totals = [counters.count(key, window=window) for key, _limit in keys]
    if any(total > limit for total, (_key, limit) in zip(totals, keys, strict=True)):
        raise LoginThrottled("Too many failed logins.")
    return LoginAttempt(keys=tuple(key for key, _limit in keys))


def login_throttled(*, email: str, client_address: str | None) -> bool:
    """Whether the last attempt for this account or address was refused unchecked."""
    return any(counters.peek(key) > limit for key, limit in _login_keys(email, client_address))


def login_retry_after_seconds() -> int:
    # The window runs from the first failure, so waiting a whole window always suffices.
    return int(settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear_login_failures(*, email: str) -> None:
    """Forget an account's wrong passwords: its owner just proved who they are."""
    account_key, _limit = _login_keys(email, None)[0]
    counters.forget(account_key)


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
        requests = counters.count(
            f"password-reset:address:{client_address}",
            window=PASSWORD_RESET_ADDRESS_WINDOW_SECONDS,
        )
        if requests > PASSWORD_RESET_ADDRESS_LIMIT:
            return False
    # Of two requests at once, one gets to send.
    return counters.claim(
        f"password-reset:email:{_email_digest(email)}",
        timeout=PASSWORD_RESET_EMAIL_INTERVAL_SECONDS,
    )
