"""API tokens for the mobile apps: issued under the user's token version, refresh tokens
rotated (each works once), a login (every token of its family) ended by logging out or by a
refresh token used twice, access and refresh tokens of every device revoked by a password
change or reset."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import EndedLogin, EndedLoginReason, User
from accounts.signals import all_logins_ended, login_ended
from portal.api_errors import ApplicationError

logger = logging.getLogger(__name__)

VERSION_CLAIM = "ver"
# The login a token belongs to: the jti of the refresh token the login issued, carried over
# by every rotation and copied into each access token. A device registered for push keeps
# it, so logging that login out forgets the device.
FAMILY_CLAIM = "fam"


def issue_tokens(*, user: User, family: str | None = None) -> RefreshToken:
    """A new refresh token (its `access_token` too) for `user`, recorded as outstanding;
    a new login unless `family` names the one it continues."""
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    refresh[FAMILY_CLAIM] = family or str(refresh[api_settings.JTI_CLAIM])
    return refresh


def token_family(token: Any) -> str:
    """The login of a validated token (access or refresh); "" for one issued before families."""
    if token is None or not hasattr(token, "get"):
        return ""
    return str(token.get(FAMILY_CLAIM) or "")


def token_is_current(*, token: Any, user: User) -> bool:
    """Whether a validated token was issued under the user's current token version."""
    return bool(token.get(VERSION_CLAIM, 0) == user.token_version)


def _parse(token: str, *, verify: bool = True) -> RefreshToken:
    # simplejwt's annotation says Token; it takes the encoded string.
    return RefreshToken(cast(Any, token), verify=verify)


def _refused() -> ApplicationError:
    return ApplicationError(
        "not_authenticated", _("The refresh token is invalid, expired or already used.")
    )


def rotate_refresh_token(*, token: str, now: datetime) -> RefreshToken:
    """Exchange a refresh token for a new one; the old one never works again.

    A refresh token presented after it was used is a stolen (or copied) login: the answer is
    the same refusal, and the whole login ends, the newer tokens with it (API.md). Two
    requests with the same token at once are that too: the row lock lets one through, the
    other finds it used. An inactive user's or a revoked (older version) token is refused.
    """
    try:
        refresh = _parse(token)  # signature, expiry and the blacklist
    except TokenError as error:
        payload = _signed_payload(token)
        if payload is not None and _is_blacklisted(token):
            _end_reused_login(payload, now=now)
        raise _refused() from error
    with transaction.atomic():
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=refresh[api_settings.JTI_CLAIM])
            .first()
        )
        if outstanding is None:
            raise _refused()
        reused = BlacklistedToken.objects.filter(token=outstanding).exists()
        if not reused:
            user = User.objects.filter(pk=refresh[api_settings.USER_ID_CLAIM]).first()
            if user is None or not user.is_active or not token_is_current(token=refresh, user=user):
                raise _refused()
            # A token from before families starts one: its own jti.
            family = token_family(refresh) or str(refresh[api_settings.JTI_CLAIM])
            if EndedLogin.objects.filter(family=family).exists():
                raise _refused()
            BlacklistedToken.objects.create(token=outstanding)
            return issue_tokens(user=user, family=family)
    # After the transaction, so the refusal does not take the ending back with it.
    _end_reused_login(refresh.payload, now=now)
    raise _refused()


def _end_reused_login(payload: dict[str, Any], *, now: datetime) -> None:
    family = str(payload.get(FAMILY_CLAIM) or payload.get(api_settings.JTI_CLAIM) or "")
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    logger.warning("A refresh token of user %s was used twice: login %s ended.", user_id, family)
    end_login(family=family, user_id=user_id, reason=EndedLoginReason.REFRESH_REUSED, now=now)


def end_login(*, family: str, user_id: Any, reason: str, now: datetime) -> None:
    """Every token of this login is refused from now on (access tokens too, where they
    authenticate), and its end is announced (`login_ended`: the phone registered for push
    with it is forgotten). Safe to repeat."""
    if family and user_id is not None:
        try:
            with transaction.atomic():
                EndedLogin.objects.bulk_create(
                    [EndedLogin(family=family, user_id=user_id, reason=reason, ended_at=now)],
                    ignore_conflicts=True,  # ended already
                )
        except IntegrityError:
            pass  # the user is gone, and their tokens with them
    login_ended.send(sender=User, token_family=family)


def revoke_refresh_token(*, token: str, now: datetime) -> None:
    """Log a device out: every token of its login stops working, and the phone registered
    for push with this login is forgotten. Safe to repeat, and with a token already rotated."""
    try:
        refresh = _parse(token)
    except TokenError as error:
        # Already revoked (or rotated): the device is logged out, as asked.
        payload = _signed_payload(token)
        if payload is not None and _is_blacklisted(token):
            _end_logged_out(payload, now=now)
            return
        raise _refused() from error
    _end_logged_out(refresh.payload, now=now)
    outstanding = OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).first()
    if outstanding is None:
        return
    try:
        with transaction.atomic():
            BlacklistedToken.objects.get_or_create(token=outstanding)
    except IntegrityError:
        pass  # revoked by a concurrent request


def _end_logged_out(payload: dict[str, Any], *, now: datetime) -> None:
    end_login(
        family=str(payload.get(FAMILY_CLAIM) or ""),
        user_id=payload.get(api_settings.USER_ID_CLAIM),
        reason=EndedLoginReason.LOGGED_OUT,
        now=now,
    )


def _signed_payload(token: str) -> dict[str, Any] | None:
    """The claims of a refresh token whose signature and expiry still hold (revoked or not)."""
    try:
        # simplejwt's annotation says Token; it takes the encoded string.
        return dict(token_backend.decode(cast(Any, token), verify=True))
    except TokenBackendError:
        return None


def _is_blacklisted(token: str) -> bool:
    try:
        payload = _parse(token, verify=False).payload
    except TokenError:
        return False
    jti = payload.get(api_settings.JTI_CLAIM)
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def revoke_all_tokens(*, user: User) -> None:
    """Every token issued to `user` until now is refused from now on, and the end of all
    their logins is announced (`all_logins_ended`: their phones are forgotten)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    all_logins_ended.send(sender=User, user=user)
    user.refresh_from_db(fields=["token_version"])
