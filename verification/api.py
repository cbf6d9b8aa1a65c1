"""POST /api/me/residence-card: upload both sides of the residence card."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from accounts.models import VerificationStatus
from portal.serializers import BlankAsNullCharField, DateTimeField, ErrorSerializer
from verification.services.review import submit_residence_card


class ResidenceCardUploadOutput(serializers.Serializer):
    """The verification after an upload: `residenceCardVerification` of GET /api/me/status."""

    status = serializers.ChoiceField(choices=VerificationStatus.values)
    submittedAt = DateTimeField(source="submitted_at", allow_null=True)
    reviewedAt = DateTimeField(source="reviewed_at", allow_null=True)
    rejectionReason = BlankAsNullCharField(
        source="rejection_reason_text", help_text="In the reader's language"
    )
    cardExpiresOn = serializers.DateField(source="card_expires_on", allow_null=True)


CARD_FILE_TYPES = "image/jpeg, image/png, application/pdf"


class ResidenceCardInput(serializers.Serializer):
    front = serializers.FileField(help_text="JPEG, PNG or PDF, at most 10 MB")
    back = serializers.FileField(help_text="JPEG, PNG or PDF, at most 10 MB")


class ResidenceCardUploadView(CustomerAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": OpenApiRequest(
                ResidenceCardInput,
                # What the file starts with decides; these are the types it may be.
                encoding={side: {"contentType": CARD_FILE_TYPES} for side in ("front", "back")},
            )
        },
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
        verification = submit_residence_card(
            customer=self.customer, now=timezone.now(), **data.validated_data
        )
        return Response(ResidenceCardUploadOutput(verification).data, status=202)
