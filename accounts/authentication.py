"""Authentication backends that load the customer with the user in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import throttling, tokens
from accounts.models import EndedLogin, User


class EmailBackend(ModelBackend):
    """Email and password, throttled here because every login passes through here: the
    login page, the API and the admin's login."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        address = request.META.get("REMOTE_ADDR") if request is not None else None
        # Reserved before the password is checked; LoginThrottled (a PermissionDenied) makes
        # authenticate() answer None without trying any other backend.
        attempt = throttling.begin_login_attempt(
            email=email, client_address=address, now=timezone.now()
        )
        try:
            user = super().authenticate(request, username=email, password=password)
        except Exception:
            # No answer about the password (the database failed): it never counts.
            attempt.abandoned()
            raise
        if user is None:
            attempt.failed(now=timezone.now())
        else:
            attempt.succeeded()
        return user

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("customer").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class CustomerJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        users = User.objects.select_related("customer").filter(pk=user_id)
        family = tokens.token_family(validated_token)
        if family:
            # In the statement that loads the user: an ended login costs no query of its own.
            users = users.annotate(login_ended=Exists(EndedLogin.objects.filter(family=family)))
        user = users.first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found")
        if not tokens.token_is_current(token=validated_token, user=user):
            # Issued before the password last changed.
            raise AuthenticationFailed("The token has been revoked.", code="token_not_valid")
        if getattr(user, "login_ended", False):
            # Logged out, or a refresh token of this login was used twice.
            raise AuthenticationFailed("The login has ended.", code="token_not_valid")
        return user
