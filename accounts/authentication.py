"""Authentication backends that load the customer with the user in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User


class EmailBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("customer").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class CustomerJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        user = User.objects.select_related("customer").filter(pk=user_id).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found")
        return user
