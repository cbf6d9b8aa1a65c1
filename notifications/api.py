"""The notifications API of API.md: list, unread count, read, read all, dismiss."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from notifications import selectors, services
from notifications.changes import inbox_etag
from notifications.models import Notification
from portal.api_errors import ApplicationError
from portal.etag import client_has, not_modified
from portal.pagination import DEFAULT_LIMIT, MAX_LIMIT, parse_limit
from portal.serializers import DateTimeField, ErrorSerializer


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(help_text="UPPER_SNAKE type from the notification catalog")
    title = serializers.CharField()
    message = serializers.CharField()
    actionUrl = serializers.CharField(source="action_url")
    actionLabel = serializers.CharField(source="action_label")
    # Declared fields leave the class body, so this never shadows Field.source at run time.
    source = serializers.CharField()  # type: ignore[assignment]
    sourceId = serializers.CharField(source="source_id")
    read = serializers.BooleanField(source="is_read")
    readAt = DateTimeField(source="read_at", allow_null=True)
    createdAt = DateTimeField(source="created_at")
    expiresAt = DateTimeField(source="expires_at")


class NotificationListOutput(serializers.Serializer):
    items = NotificationOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)
    unreadCount = serializers.IntegerField()


class UnreadCountOutput(serializers.Serializer):
    count = serializers.IntegerField()


class ReadAllOutput(serializers.Serializer):
    updated = serializers.IntegerField()


def _parse_bool(raw: str | None, *, name: str) -> bool:
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ApplicationError(
        "validation_error",
        _("%(name)s must be true or false.") % {"name": name},
        fields={name: [_("Use true or false.")]},
    )


_NOT_FOUND = {404: ErrorSerializer, 401: ErrorSerializer}


class NotificationListView(CustomerAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"1 to {MAX_LIMIT}, {DEFAULT_LIMIT} by default",
            ),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="nextCursor of the last page"),
            OpenApiParameter("unreadOnly", OpenApiTypes.BOOL, description="only unread ones"),
        ],
        responses={200: NotificationListOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="The customer's notifications, newest first",
        description="Without dismissed or expired ones. Cursor-paginated.",
    )
    def get(self, request: Request) -> Response:
        limit = parse_limit(request.query_params.get("limit"))
        unread_only = _parse_bool(request.query_params.get("unreadOnly"), name="unreadOnly")
        now = timezone.now()
        etag = inbox_etag(customer=self.customer, now=now)
        if client_has(request, etag):
            return not_modified(etag)
        page = selectors.list_notifications(
            user=self.customer.user,
            now=now,
            limit=limit,
            cursor=request.query_params.get("cursor"),
            unread_only=unread_only,
        )
        body = {
            "items": page.items,
            "nextCursor": page.next_cursor,
            "unreadCount": selectors.count_unread_notifications(user=self.customer.user, now=now),
        }
        return Response(NotificationListOutput(body).data, headers={"ETag": etag})


class UnreadCountView(CustomerAPIView):
    @extend_schema(
        responses={200: UnreadCountOutput, 401: ErrorSerializer},
        summary="How many notifications are unread (the bell)",
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        etag = inbox_etag(customer=self.customer, now=now)
        if client_has(request, etag):
            return not_modified(etag)
        count = selectors.count_unread_notifications(user=self.customer.user, now=now)
        return Response({"count": count}, headers={"ETag": etag})


class MarkReadView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: NotificationOutput, **_NOT_FOUND},
        summary="Mark a notification read (reading twice is fine)",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification: Notification = services.mark_read(
            user=self.customer.user, notification_id=notification_id
        )
        return Response(NotificationOutput(notification).data)


class MarkAllReadView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: ReadAllOutput, 401: ErrorSerializer},
        summary="Mark every unread notification read",
    )
    def post(self, request: Request) -> Response:
        return Response({"updated": services.mark_all_read(user=self.customer.user)})


class DismissView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={204: None, **_NOT_FOUND},
        summary="Dismiss a notification: it leaves lists and counts",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        services.dismiss(user=self.customer.user, notification_id=notification_id)
        return Response(status=204)
