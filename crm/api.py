"""The CRM (Salesforce) webhook: the signature is the authentication."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import parsers, services
from crm.models import CrmEventState
from portal.serializers import ErrorSerializer


class SalesforceEventAck(serializers.Serializer):
    eventId = serializers.CharField(source="event_id")
    state = serializers.ChoiceField(choices=CrmEventState.values)


class SalesforceEventView(APIView):
    """Account change events from Salesforce. The signature is the authentication."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        # The body is read raw (the signature covers its bytes) and parsed as JSON only.
        request={"application/json": parsers.SalesforceEventInput},
        parameters=[
            OpenApiParameter(
                "X-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the raw body with the shared secret>",
            )
        ],
        responses={
            202: OpenApiResponse(SalesforceEventAck, description="Accepted and queued"),
            200: OpenApiResponse(SalesforceEventAck, description="Already received: ignored"),
            400: ErrorSerializer,
            401: OpenApiResponse(ErrorSerializer, description="Missing or wrong signature"),
            413: OpenApiResponse(ErrorSerializer, description="`payload_too_large`"),
        },
        auth=[],
        summary="Receive a Salesforce Account change event",
    )
    def post(self, request: Request) -> Response:
        # Size, then signature, then parsing: nothing unauthenticated is parsed.
        parsers.check_declared_size(content_length=request.META.get("CONTENT_LENGTH"))
        body: bytes = request.body
        parsers.check_size(body=body)
        services.verify_crm_signature(body=body, signature=request.headers.get("X-Signature"))
        now = timezone.now()
        event, created = services.receive_crm_event(
            event=parsers.parse_event(body=body, now=now), now=now
        )
        return Response(SalesforceEventAck(event).data, status=202 if created else 200)
