"""POST /api/me/internet-eligibility: ask whether internet reaches an address."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from accounts.models import EligibilityStatus
from accounts.validators import POSTAL_CODE_PATTERN
from eligibility.services import request_internet_eligibility
from portal.numbers import TypedNumberSerializerField
from portal.openapi import NOT_BLANK
from portal.serializers import BlankAsNullCharField, DateTimeField, ErrorSerializer, StrictCharField


class EligibilityRequestOutput(serializers.Serializer):
    """The eligibility after a request: the object `internetEligibility` of GET /api/me/status."""

    status = serializers.ChoiceField(choices=EligibilityStatus.values)
    requestedAt = DateTimeField(source="requested_at", allow_null=True)
    checkedAt = DateTimeField(source="checked_at", allow_null=True)
    address = BlankAsNullCharField()
    notes = BlankAsNullCharField(source="notes_text", help_text="In the reader's language")


class InternetEligibilityInput(serializers.Serializer):
    postalCode = TypedNumberSerializerField(
        source="postal_code",
        max_length=16,
        help_text="NNN-NNNN or NNNNNNN, in ASCII or full-width digits, 〒 before it or not",
        schema={"pattern": POSTAL_CODE_PATTERN},
    )
    # A blank address is the service's to refuse, with the postal code's mistake beside it;
    # the schema says it may not be blank.
    address = StrictCharField(
        max_length=300, allow_blank=True, schema={"minLength": 1, "pattern": NOT_BLANK}
    )


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
        eligibility = request_internet_eligibility(
            customer=self.customer, now=timezone.now(), **data.validated_data
        )
        return Response(EligibilityRequestOutput(eligibility).data, status=202)
