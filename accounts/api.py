"""Auth and profile, the two identity gates, and the base customer view."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services, tokens
from accounts.models import (
    Customer,
    EligibilityStatus,
    User,
    VerificationStatus,
)
from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError
from portal.numbers import TypedNumberSerializerField
from portal.serializers import DateTimeField, ErrorSerializer, StrictCharField


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
        return _token_answer(tokens.rotate_refresh_token(token=data.validated_data["refresh"]))


class LogoutView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RefreshInput,
        responses={204: None, 400: ErrorSerializer, 401: ErrorSerializer},
        auth=[],
        summary="Log a device out: its refresh token stops working",
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens.revoke_refresh_token(token=data.validated_data["refresh"])
        return Response(status=204)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = StrictCharField()
    phone = StrictCharField()
    language = serializers.ChoiceField(choices=["en", "ja"])


class MeInput(serializers.Serializer):
    # Lengths and formats are the service's to check, so the page and the API say the same.
    name = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    phone = TypedNumberSerializerField(required=False, allow_blank=True)
    language = StrictCharField(required=False)


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


# --- The identity gates --------------------------------------------------------------------


class BlankAsNullCharField(serializers.CharField):
    """Text the customer may not have yet: an empty string is rendered as null."""

    def __init__(self, **kwargs: Any):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]
        return str(value) if value else None


class EligibilityRequestOutput(serializers.Serializer):
    """The eligibility after a request: the object `internetEligibility` of GET /api/me/status."""

    status = serializers.ChoiceField(choices=EligibilityStatus.values)
    requestedAt = DateTimeField(source="requested_at", allow_null=True)
    checkedAt = DateTimeField(source="checked_at", allow_null=True)
    address = BlankAsNullCharField()
    notes = BlankAsNullCharField(source="notes_text", help_text="In the reader's language")


class ResidenceCardUploadOutput(serializers.Serializer):
    """The verification after an upload: `residenceCardVerification` of GET /api/me/status."""

    status = serializers.ChoiceField(choices=VerificationStatus.values)
    submittedAt = DateTimeField(source="submitted_at", allow_null=True)
    reviewedAt = DateTimeField(source="reviewed_at", allow_null=True)
    rejectionReason = BlankAsNullCharField(
        source="rejection_reason_text", help_text="In the reader's language"
    )
    cardExpiresOn = serializers.DateField(source="card_expires_on", allow_null=True)


class InternetEligibilityInput(serializers.Serializer):
    postalCode = TypedNumberSerializerField(
        source="postal_code", max_length=16, help_text="NNN-NNNN or NNNNNNN, full-width too"
    )
    # A blank address is the service's to refuse, with the postal code's mistake beside it.
    address = serializers.CharField(max_length=300, allow_blank=True)


class InternetEligibilityRequestView(CustomerAPIView):
    @extend_schema(
        request=InternetEligibilityInput,
        responses={
            202: EligibilityRequestOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="`eligibility_check_pending`: one is being checked"
            ),
        },
        summary="Ask whether internet is available at an address",
    )
    def post(self, request: Request) -> Response:
        data = InternetEligibilityInput(data=request.data)
        data.is_valid(raise_exception=True)
        eligibility = services.request_internet_eligibility(
            customer=self.customer, now=timezone.now(), **data.validated_data
        )
        return Response(EligibilityRequestOutput(eligibility).data, status=202)


class ResidenceCardInput(serializers.Serializer):
    front = serializers.FileField(help_text="JPEG, PNG or PDF, at most 10 MB")
    back = serializers.FileField(help_text="JPEG, PNG or PDF, at most 10 MB")


class ResidenceCardUploadView(CustomerAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ResidenceCardInput},
        responses={
            202: ResidenceCardUploadOutput,
            400: OpenApiResponse(
                ErrorSerializer, description="A file is missing, empty, too large or not allowed"
            ),
            401: ErrorSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`residence_card_review_pending` or `residence_card_already_verified`"
                ),
            ),
        },
        summary="Upload both sides of the residence card for verification",
    )
    def post(self, request: Request) -> Response:
        data = ResidenceCardInput(data=request.data)
        data.is_valid(raise_exception=True)
        verification = services.submit_residence_card(
            customer=self.customer, now=timezone.now(), **data.validated_data
        )
        return Response(ResidenceCardUploadOutput(verification).data, status=202)
