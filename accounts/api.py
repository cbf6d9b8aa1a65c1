"""Auth and profile endpoints, and the base view every customer endpoint builds on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import Customer, User
from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError
from portal.serializers import ErrorSerializer


class CustomerAPIView(APIView):
    """A view for a logged-in customer: `self.customer` is theirs, in their language."""

    customer: Customer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.customer = get_customer_for_user(user=request.user)
        translation.activate(self.customer.language)
        request.LANGUAGE_CODE = self.customer.language


def _access_lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def _client_address(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class TokenInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    accessExpiresIn = serializers.IntegerField(help_text="Seconds until the access token expires")


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
            client_address=_client_address(request),
        )
        refresh = RefreshToken.for_user(user)
        return Response(
            {
                "access": str(refresh.access_token),
                "refresh": str(refresh),
                "accessExpiresIn": _access_lifetime_seconds(),
            }
        )


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField()


class RefreshOutput(serializers.Serializer):
    access = serializers.CharField()
    accessExpiresIn = serializers.IntegerField()


class TokenRefreshView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RefreshInput,
        responses={200: RefreshOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        auth=[],
        summary="Exchange a refresh token for a new access token",
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(data.validated_data["refresh"])
        except TokenError as error:
            raise ApplicationError(
                "not_authenticated", "The refresh token is invalid or expired."
            ) from error
        return Response(
            {"access": str(refresh.access_token), "accessExpiresIn": _access_lifetime_seconds()}
        )


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    language = serializers.ChoiceField(choices=["en", "ja"])


class MeView(APIView):
    @extend_schema(responses={200: MeOutput, 401: ErrorSerializer}, summary="The logged-in user")
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        customer = getattr(user, "customer", None)
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "name": customer.name if customer else user.get_full_name() or user.email,
                "language": customer.language if customer else settings.LANGUAGE_CODE,
            }
        )
