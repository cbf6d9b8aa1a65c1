"""Auth and profile, and the base customer view."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services, tokens
from accounts.models import (
    Customer,
    Language,
    User,
)
from accounts.selectors import get_customer_for_user
from accounts.validators import PHONE_PATTERN
from portal.api_errors import ApplicationError
from portal.numbers import TypedNumberSerializerField
from portal.openapi import NOT_BLANK
from portal.serializers import ErrorSerializer, StrictCharField


class CustomerAPIView(APIView):
    """A view for a logged-in customer: `self.customer` is theirs, in their language."""

    customer: Customer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _refuse_repeated_parameters(request)
        self.customer = get_customer_for_user(user=request.user)
        translation.activate(self.customer.language)
        request.LANGUAGE_CODE = self.customer.language


def _refuse_repeated_parameters(request: Request) -> None:
    """`?archived=true&archived=false` means nothing: say so rather than pick one."""
    repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
    if repeated:
        raise ApplicationError(
            "validation_error",
            _("Give each query parameter once."),
            fields={name: [_("Given more than once.")] for name in repeated},
        )


def _access_lifetime_seconds() -> int:
    # simplejwt's own reading of settings.SIMPLE_JWT, typed (the settings dict is a union).
    return int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


class TokenInput(serializers.Serializer):
    email = serializers.EmailField()
    password = StrictCharField(trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField()
    accessExpiresIn = serializers.IntegerField(help_text="Seconds until the access token expires")


def _token_answer(refresh: RefreshToken) -> Response:
    return Response(
        {
            "access": str(refresh.access_token),
            "refresh": str(refresh),
            "accessExpiresIn": _access_lifetime_seconds(),
        }
    )


class TokenObtainView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
            429: ErrorSerializer,
        },
        auth=[],
        summary="Log in with email and password",
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.log_in(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            request=request._request,
        )
        return _token_answer(tokens.issue_tokens(user=user))


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField()


class TokenRefreshView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RefreshInput,
        responses={200: TokenOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        auth=[],
        summary="Exchange a refresh token for new tokens (the refresh token works once)",
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        refresh = tokens.rotate_refresh_token(
            token=data.validated_data["refresh"], now=timezone.now()
        )
        return _token_answer(refresh)


class LogoutView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RefreshInput,
        responses={204: None, 400: ErrorSerializer, 401: ErrorSerializer},
        auth=[],
        summary="Log a device out: every token of its login stops working",
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens.revoke_refresh_token(token=data.validated_data["refresh"], now=timezone.now())
        return Response(status=204)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = StrictCharField()
    phone = StrictCharField()
    language = serializers.ChoiceField(choices=["en", "ja"])


class MeInput(serializers.Serializer):
    # Lengths and formats are the service's to check, so the page and the API say the same;
    # the schema states them.
    name = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        schema={
            "minLength": 1,
            "maxLength": Customer._meta.get_field("name").max_length,
            "pattern": NOT_BLANK,
        },
    )
    phone = TypedNumberSerializerField(
        required=False,
        allow_blank=True,
        help_text=(
            "Digits, spaces, hyphens and brackets, e.g. 090-1234-5678 (full-width too); empty: none"
        ),
        schema={"pattern": f"^({PHONE_PATTERN.pattern.strip('^$')})?$"},
    )
    language = StrictCharField(required=False, schema={"enum": Language.values})


def _me(user: User) -> dict[str, Any]:
    customer = getattr(user, "customer", None)
    return {
        "id": user.pk,
        "email": user.email,
        "name": customer.name if customer else user.get_full_name() or user.email,
        "phone": customer.phone if customer else "",
        "language": customer.language if customer else settings.LANGUAGE_CODE,
    }


class MeView(APIView):
    @extend_schema(responses={200: MeOutput, 401: ErrorSerializer}, summary="The logged-in user")
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(_me(request.user))

    @extend_schema(
        request=MeInput,
        responses={200: MeOutput, 400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer},
        summary="Change the name, phone or language",
    )
    def patch(self, request: Request) -> Response:
        data = MeInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = get_customer_for_user(user=request.user)
        services.update_profile(customer=customer, **data.validated_data)
        assert isinstance(request.user, User)
        return Response(_me(request.user))


class PasswordInput(serializers.Serializer):
    currentPassword = StrictCharField(source="current_password", trim_whitespace=False)
    newPassword = StrictCharField(source="new_password", trim_whitespace=False)


class PasswordView(APIView):
    @extend_schema(
        request=PasswordInput,
        responses={204: None, 400: ErrorSerializer, 401: ErrorSerializer, 429: ErrorSerializer},
        summary="Change the password; every token issued before stops working",
    )
    def post(self, request: Request) -> Response:
        data = PasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        services.change_password(user=request.user, request=request._request, **data.validated_data)
        return Response(status=204)
