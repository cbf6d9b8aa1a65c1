"""API tokens for the mobile apps: issued under the user's token version, refresh tokens
rotated (each works once) and revoked by logging out, access and refresh tokens of every
device revoked by a password change or reset."""

from __future__ import annotations

from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.signals import all_logins_ended, login_ended
from portal.api_errors import ApplicationError

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


def rotate_refresh_token(*, token: str) -> RefreshToken:
    """Exchange a refresh token for a new one; the old one never works again.

    Two requests with the same token at once: the row lock lets one through, the other
    finds it used. An inactive user's or a revoked (older version) token is refused.
    """
    try:
        refresh = _parse(token)  # signature, expiry and the blacklist
    except TokenError as error:
        raise _refused() from error
    with transaction.atomic():
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=refresh[api_settings.JTI_CLAIM])
            .first()
        )
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise _refused()
        user = User.objects.filter(pk=refresh[api_settings.USER_ID_CLAIM]).first()
        if user is None or not user.is_active or not token_is_current(token=refresh, user=user):
            raise _refused()
        BlacklistedToken.objects.create(token=outstanding)
        # A token from before families starts one: its own jti.
        family = token_family(refresh) or str(refresh[api_settings.JTI_CLAIM])
        return issue_tokens(user=user, family=family)


def revoke_refresh_token(*, token: str) -> None:
    """Log a device out: its refresh token stops working, and the login's end is announced
    (`login_ended`: the phone registered for push with it is forgotten). Safe to repeat."""
    try:
        refresh = _parse(token)
    except TokenError as error:
        # Already revoked (or rotated): the device is logged out, as asked.
        if _is_blacklisted(token):
            login_ended.send(sender=User, token_family=_signed_family(token))
            return
        raise _refused() from error
    login_ended.send(sender=User, token_family=token_family(refresh))
    outstanding = OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).first()
    if outstanding is None:
        return
    try:
        with transaction.atomic():
            BlacklistedToken.objects.get_or_create(token=outstanding)
    except IntegrityError:
        pass  # revoked by a concurrent request


def _signed_family(token: str) -> str:
    """The login of a revoked refresh token whose signature and expiry still hold."""
    try:
        # simplejwt's annotation says Token; it takes the encoded string.
        payload = token_backend.decode(cast(Any, token), verify=True)
    except TokenBackendError:
        return ""
    return str(payload.get(FAMILY_CLAIM) or "")


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
