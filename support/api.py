"""Support requests for the mobile apps: /api/support/requests."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from portal.pagination import LIMIT_PARAMETER, parse_limit
from portal.serializers import DateTimeField, ErrorSerializer, StrictCharField
from support import selectors, services
from support.models import SupportRequestStatus, SupportTopic


class SupportRequestInput(serializers.Serializer):
    topic = serializers.ChoiceField(choices=SupportTopic.values)
    message = StrictCharField(max_length=services.MESSAGE_MAX_LENGTH)


class SupportReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()
    language = serializers.CharField(help_text="The language staff wrote the reply in")
    createdAt = DateTimeField(source="created_at")


class SupportRequestCreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.ChoiceField(choices=SupportTopic.values)
    status = serializers.ChoiceField(choices=SupportRequestStatus.values)
    createdAt = DateTimeField(source="created_at")


class SupportRequestOutput(SupportRequestCreatedOutput):
    message = serializers.CharField()
    updatedAt = DateTimeField(source="updated_at")
    replies = SupportReplyOutput(many=True, source="replies.all")


class SupportRequestPageOutput(serializers.Serializer):
    items = SupportRequestOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)


class SupportRequestListView(CustomerAPIView):
    """The customer's support requests with staff replies, and asking a new one."""

    @extend_schema(
        parameters=[
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", str, description="`nextCursor` of the previous page"),
        ],
        responses={200: SupportRequestPageOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        operation_id="support_requests_list",
        summary="The customer's support requests, newest first, with staff replies",
    )
    def get(self, request: Request) -> Response:
        page = selectors.list_support_requests(
            customer=self.customer,
            limit=parse_limit(request.query_params.get("limit")),
            cursor=request.query_params.get("cursor"),
        )
        items = SupportRequestOutput(page.items, many=True).data
        return Response({"items": items, "nextCursor": page.next_cursor})

    @extend_schema(
        request=SupportRequestInput,
        responses={
            201: SupportRequestCreatedOutput,
            200: SupportRequestCreatedOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        summary="Ask support for help",
        description="The request waits in the staff queue as `open`. Sending the same topic "
        "and message again within ten minutes answers 200 with the request already stored.",
    )
    def post(self, request: Request) -> Response:
        data = SupportRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.create_support_request(
            customer=self.customer,
            topic=data.validated_data["topic"],
            message=data.validated_data["message"],
        )
        return Response(
            SupportRequestCreatedOutput(created.support_request).data,
            status=201 if created.created else 200,
        )
