"""Throttles on logging in and on password reset mails, on the counters of portal.counters.

Logins are throttled in the authentication backend, which every login passes through (the
login page, the API and the admin). Only wrong passwords count, per account and client
address: after LOGIN_FAILURE_LIMIT of them, each further try from that address waits, twice
as long each time (LOGIN_THROTTLE_BASE_SECONDS, up to LOGIN_THROTTLE_MAX_SECONDS). The same
account from another address is not slowed, so nobody can lock anybody else out. An attempt
is reserved before its password is checked, so of many sent at once only the free ones are
checked; the reservation is taken back when the password was right, when the check never
answered (a database error) and when the attempt was refused.
"""

from __future__ import annotations

import hashlib
import logging
import math
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import counters

logger = logging.getLogger(__name__)

# Past the free tries, one check at a time: the one that holds the turn. A process that dies
# holding it frees it after this long.
TURN_SECONDS = 60
# The largest doubling worth computing: 2**20 times any base is past any sensible cap.
_MAX_DOUBLINGS = 20

# Seconds to wait, when the last attempt in this context was refused unchecked: Django's
# authenticate() swallows the backend's PermissionDenied, so the callers ask here.
_refused_for: ContextVar[int | None] = ContextVar("login_refused_for", default=None)


class LoginThrottled(PermissionDenied):
    """Too many wrong passwords from this address (for this account, or for any): not even
    checked.

    A PermissionDenied, so `django.contrib.auth.authenticate` answers None (and signals a
    failed login) to every caller; `login_refusal()` tells the callers that say so apart.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many wrong passwords.")
        self.retry_after = retry_after


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _PairKeys:
    failures: str  # wrong passwords (and attempts being checked) of this account and address
    wait: str  # until when (epoch seconds) this account and address wait
    turn: str  # held by the one check allowed once a wait is over


def _pair_keys(email: str, client_address: str | None) -> _PairKeys:
    base = f"login:{_email_digest(email)}:{client_address or 'unknown'}"
    return _PairKeys(f"{base}:failures", f"{base}:wait", f"{base}:turn")


def _address_key(client_address: str) -> str:
    return f"login-failures:address:{client_address}"


def login_delay_seconds(*, failures: int) -> int:
    """How long an account and address wait after this many wrong passwords in a row."""
    beyond = failures - settings.LOGIN_FAILURE_LIMIT
    if beyond < 0:
        return 0
    delay = settings.LOGIN_THROTTLE_BASE_SECONDS * 2 ** min(beyond, _MAX_DOUBLINGS)
    return int(min(delay, settings.LOGIN_THROTTLE_MAX_SECONDS))


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt reserved before its password is checked; the check's answer settles it."""

    keys: _PairKeys
    client_address: str | None
    number: int  # its place among the account and address's wrong passwords
    holds_turn: bool

    def succeeded(self) -> None:
        """The right password: this account and address start afresh."""
        for key in (self.keys.failures, self.keys.wait, self.keys.turn):
            counters.forget(key)

    def failed(self, *, now: datetime) -> None:
        """A wrong password: it stays counted, and past the free tries a wait begins."""
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        delay = login_delay_seconds(failures=self.number)
        if delay:
            # Kept a little longer than the count, so a count past the limit always has
            # the wait it earned beside it.
            counters.remember(self.keys.wait, now.timestamp() + delay, timeout=delay + window + 60)
            logger.warning(
                "%d wrong passwords for one account from %s: it waits %d s there.",
                self.number,
                self.client_address or "an unknown address",
                delay,
            )
        # Forgotten a window after the last wait ends, not a window after the first failure.
        counters.extend(self.keys.failures, timeout=delay + window)
        if self.holds_turn:
            counters.forget(self.keys.turn)
        if self.client_address:
            counters.count(_address_key(self.client_address), window=window)

    def abandoned(self) -> None:
        """The check never answered (the database failed): as if it had never been tried."""
        counters.uncount(self.keys.failures)
        if self.holds_turn:
            counters.forget(self.keys.turn)


def _refuse(retry_after: int) -> LoginThrottled:
    retry_after = max(1, retry_after)
    _refused_for.set(retry_after)
    return LoginThrottled(retry_after)


def begin_login_attempt(*, email: str, client_address: str | None, now: datetime) -> LoginAttempt:
    """Reserve a check of a password; LoginThrottled (counting nothing) while this account
    and address wait, or once the address has too many wrong passwords on any account."""
    _refused_for.set(None)
    keys = _pair_keys(email, client_address)
    wait_until = counters.recall(keys.wait)
    if wait_until is not None and wait_until > now.timestamp():
        raise _refuse(math.ceil(wait_until - now.timestamp()))
    if (
        client_address
        and counters.peek(_address_key(client_address)) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    ):
        raise _refuse(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    number = counters.count(keys.failures, window=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    holds_turn = False
    if number > settings.LOGIN_FAILURE_LIMIT:
        # Past the free tries: one check at a time, and only once a wait has passed (with
        # none yet, the last free try is still being checked).
        holds_turn = wait_until is not None and counters.claim(keys.turn, timeout=TURN_SECONDS)
        if not holds_turn:
            counters.uncount(keys.failures)
            raise _refuse(settings.LOGIN_THROTTLE_BASE_SECONDS)
    return LoginAttempt(
        keys=keys, client_address=client_address, number=number, holds_turn=holds_turn
    )


def login_refusal() -> int | None:
    """Seconds to wait, when the last login attempt here was refused without a check."""
    return _refused_for.get()


def refusal_message(retry_after: int) -> str:
    """What a throttled login says: the same for every account, real or not."""
    if retry_after < 60:
        wait = ngettext("%(count)d second", "%(count)d seconds", retry_after) % {
            "count": retry_after
        }
    else:
        minutes = math.ceil(retry_after / 60)
        wait = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return _("Too many wrong passwords. Try again in %(wait)s.") % {"wait": wait}


def clear_login_failures(*, email: str, client_address: str | None) -> None:
    """Forget an account's wrong passwords from this address: its owner just proved who
    they are from there."""
    keys = _pair_keys(email, client_address)
    for key in (keys.failures, keys.wait, keys.turn):
        counters.forget(key)


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
