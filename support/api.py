"""Support requests for the mobile apps: /api/support/requests and their threads."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from portal.pagination import LIMIT_PARAMETER, parse_limit
from portal.serializers import DateTimeField, ErrorSerializer, StrictCharField
from support import selectors, services
from support.models import (
    MessageAuthor,
    SupportMessage,
    SupportRequest,
    SupportRequestStatus,
    SupportTopic,
)


class SupportRequestInput(serializers.Serializer):
    topic = serializers.ChoiceField(choices=SupportTopic.values)
    message = StrictCharField(max_length=services.MESSAGE_MAX_LENGTH)


class SupportMessageInput(serializers.Serializer):
    body = StrictCharField(
        max_length=services.MESSAGE_MAX_LENGTH, schema={"pattern": r"^[^\x00]*\S[^\x00]*$"}
    )


class SupportAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class SupportMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.ChoiceField(choices=MessageAuthor.values, source="author_kind")
    authorName = serializers.SerializerMethodField()
    body = serializers.CharField()
    language = serializers.CharField(help_text="The language the message is written in")
    attachments = serializers.SerializerMethodField()
    createdAt = DateTimeField(source="created_at")

    def get_authorName(self, message: SupportMessage) -> str:
        return selectors.author_name(message)

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, message: SupportMessage) -> list[dict[str, object]]:
        # Attachments are not taken yet (docs/decisions.md): the key is there for the apps.
        return []


class SupportReplyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField(source="body")
    language = serializers.CharField(help_text="The language staff wrote the reply in")
    createdAt = DateTimeField(source="created_at")


class SupportRequestCreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.ChoiceField(choices=SupportTopic.values)
    status = serializers.ChoiceField(choices=SupportRequestStatus.values)
    createdAt = DateTimeField(source="created_at")


class SupportRequestDetailOutput(SupportRequestCreatedOutput):
    updatedAt = DateTimeField(source="updated_at")
    messages = SupportMessageOutput(many=True, source="messages.all")


class SupportRequestOutput(SupportRequestDetailOutput):
    message = serializers.SerializerMethodField(help_text="The customer's first message")
    replies = serializers.SerializerMethodField(help_text="The staff messages, oldest first")

    def get_message(self, support_request: SupportRequest) -> str:
        first = next(
            (m for m in support_request.messages.all() if m.author_kind == MessageAuthor.CUSTOMER),
            None,
        )
        return first.body if first is not None else ""

    @extend_schema_field(SupportReplyOutput(many=True))
    def get_replies(self, support_request: SupportRequest) -> list[dict[str, object]]:
        staff = [m for m in support_request.messages.all() if m.author_kind == MessageAuthor.STAFF]
        return SupportReplyOutput(staff, many=True).data  # type: ignore[return-value]


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


class SupportRequestDetailView(CustomerAPIView):
    """One of the customer's requests with its whole thread."""

    @extend_schema(
        responses={200: SupportRequestDetailOutput, 401: ErrorSerializer, 404: ErrorSerializer},
        summary="A support request and its thread, oldest message first",
    )
    def get(self, request: Request, request_id: int) -> Response:
        support_request = selectors.get_support_request_for_customer(
            customer=self.customer, support_request_id=request_id
        )
        return Response(SupportRequestDetailOutput(support_request).data)


class SupportMessageListView(CustomerAPIView):
    """The customer writes on their request."""

    @extend_schema(
        request=SupportMessageInput,
        responses={
            201: SupportMessageOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Write on a support request",
        description="The request is `open` again, waiting for support. A request closed "
        "within the last 30 days reopens; one closed longer answers 409 "
        "`support_request_closed` (ask a new one).",
    )
    def post(self, request: Request, request_id: int) -> Response:
        data = SupportMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.post_customer_message(
            customer=self.customer, support_request_id=request_id, body=data.validated_data["body"]
        )
        return Response(SupportMessageOutput(message).data, status=201)


class SupportRequestCloseView(CustomerAPIView):
    """The customer closes their request (closing it again changes nothing)."""

    @extend_schema(
        request=None,
        responses={200: SupportRequestDetailOutput, 401: ErrorSerializer, 404: ErrorSerializer},
        summary="Close a support request",
    )
    def post(self, request: Request, request_id: int) -> Response:
        services.close_support_request(support_request_id=request_id, customer=self.customer)
        support_request = selectors.get_support_request_for_customer(
            customer=self.customer, support_request_id=request_id
        )
        return Response(SupportRequestDetailOutput(support_request).data)
