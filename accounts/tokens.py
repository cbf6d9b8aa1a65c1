"""API tokens for the mobile apps: issued under the user's token version, refresh tokens
rotated (each works once) and revoked by logging out, access and refresh tokens of every
device revoked by a password change or reset."""

from __future__ import annotations

from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from portal.api_errors import ApplicationError

VERSION_CLAIM = "ver"


def issue_tokens(*, user: User) -> RefreshToken:
    """A new refresh token (its `access_token` too) for `user`, recorded as outstanding."""
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    return refresh


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
        return issue_tokens(user=user)


def revoke_refresh_token(*, token: str) -> None:
    """Log a device out: its refresh token stops working. Safe to repeat."""
    try:
        refresh = _parse(token)
    except TokenError as error:
        # Already revoked (or rotated): the device is logged out, as asked.
        if _is_blacklisted(token):
            return
        raise _refused() from error
    outstanding = OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).first()
    if outstanding is None:
        return
    try:
        with transaction.atomic():
            BlacklistedToken.objects.get_or_create(token=outstanding)
    except IntegrityError:
        pass  # revoked by a concurrent request


def _is_blacklisted(token: str) -> bool:
    try:
        payload = _parse(token, verify=False).payload
    except TokenError:
        return False
    jti = payload.get(api_settings.JTI_CLAIM)
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def revoke_all_tokens(*, user: User) -> None:
    """Every token issued to `user` until now is refused from now on."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
