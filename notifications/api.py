"""The notifications API of API.md: list, unread count, read, read all, dismiss."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import conditional_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from accounts.tokens import token_family
from notifications import devices, selectors
from notifications.models import (
    DevicePlatform,
    Notification,
    NotificationCategory,
    NotificationSeverity,
)
from notifications.services.inbox import (
    BULK_ACTIONS,
    archive,
    bulk_update,
    dismiss,
    mark_all_read,
    mark_all_seen,
    mark_read,
    snooze,
    unarchive,
)
from notifications.services.preferences import update_notification_preferences
from portal.api_errors import ApplicationError
from portal.pagination import LIMIT_PARAMETER, parse_limit
from portal.serializers import (
    MAX_ID,
    DateTimeField,
    ErrorSerializer,
    StrictCharField,
    iso_datetime,
)


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
    category = serializers.ChoiceField(choices=NotificationCategory.choices)
    severity = serializers.ChoiceField(choices=NotificationSeverity.choices)
    seen = serializers.BooleanField(source="is_seen")
    archived = serializers.BooleanField(source="is_archived")
    archivedAt = DateTimeField(source="archived_at", allow_null=True)
    snoozedUntil = DateTimeField(source="snoozed_until", allow_null=True)
    retiredAt = DateTimeField(source="retired_at", allow_null=True)
    updatedAt = DateTimeField(source="updated_at")

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return notification_json(instance)


def notification_json(notification: Notification) -> dict[str, Any]:
    """`NotificationOutput`, written out: a page of 20 is most of the list's cost through
    the generic path (a test holds both to the same answer)."""
    rendered = notification.rendered()
    return {
        "id": notification.pk,
        "type": notification.type,
        "title": rendered.title,
        "message": rendered.message,
        "actionUrl": rendered.action_url,
        "actionLabel": rendered.action_label,
        "source": notification.source,
        "sourceId": str(notification.source_id),
        "read": notification.is_read,
        "readAt": iso_datetime(notification.read_at),
        "createdAt": iso_datetime(notification.created_at),
        "expiresAt": iso_datetime(notification.expires_at),
        "category": notification.category,
        "severity": notification.severity,
        "seen": notification.is_seen,
        "archived": notification.is_archived,
        "archivedAt": iso_datetime(notification.archived_at),
        "snoozedUntil": iso_datetime(notification.snoozed_until),
        "retiredAt": iso_datetime(notification.retired_at),
        "updatedAt": iso_datetime(notification.updated_at),
    }


class NotificationListOutput(serializers.Serializer):
    items = NotificationOutput(many=True)
    nextCursor = serializers.CharField(allow_null=True)
    unreadCount = serializers.IntegerField()


class UnreadCountOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="unread")
    unseenCount = serializers.IntegerField(help_text="unseen: the badge")


class ReadAllOutput(serializers.Serializer):
    updated = serializers.IntegerField()


class SnoozeInput(serializers.Serializer):
    until = serializers.DateTimeField(help_text="1 hour to 30 days ahead, with its offset")


class BulkInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=100
    )
    action = serializers.ChoiceField(choices=BULK_ACTIONS)


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
            LIMIT_PARAMETER,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="nextCursor of the last page"),
            OpenApiParameter("unreadOnly", OpenApiTypes.BOOL, description="only unread ones"),
            OpenApiParameter(
                "category",
                OpenApiTypes.STR,
                enum=list(selectors.CATEGORIES),
                description="only this category",
            ),
            OpenApiParameter(
                "archived", OpenApiTypes.BOOL, description="true: only the archived ones"
            ),
        ],
        responses={200: NotificationListOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="The customer's notifications, newest first",
        description="Without archived, snoozed or expired ones (archived=true: only archived"
        " ones). Cursor-paginated.",
    )
    # The ETag is a hash of the JSON (Django's ConditionalGetMiddleware, on this view only):
    # exact whatever changed (a row, a preference, the language, the clock passing an
    # expiry), and cheaper than an aggregate over every row of the customer would be.
    @method_decorator(conditional_page)
    def get(self, request: Request) -> Response:
        limit = parse_limit(request.query_params.get("limit"))
        unread_only = _parse_bool(request.query_params.get("unreadOnly"), name="unreadOnly")
        archived = _parse_bool(request.query_params.get("archived"), name="archived")
        category = selectors.parse_category(request.query_params.get("category"))
        now = timezone.now()
        page, unread_count = selectors.list_notifications_and_unread_count(
            user=self.customer.user,
            now=now,
            limit=limit,
            cursor=request.query_params.get("cursor"),
            unread_only=unread_only,
            category=category,
            archived=archived,
        )
        # NotificationListOutput, written out (see `notification_json`).
        body = {
            "items": [notification_json(notification) for notification in page.items],
            "nextCursor": page.next_cursor,
            "unreadCount": unread_count,
        }
        return Response(body)


class UnreadCountView(CustomerAPIView):
    @extend_schema(
        responses={200: UnreadCountOutput, 401: ErrorSerializer},
        summary="How many notifications are unread, and how many unseen (the badge)",
    )
    # The two counts are the answer and cost one statement: the tag is their JSON's hash.
    @method_decorator(conditional_page)
    def get(self, request: Request) -> Response:
        unread, unseen = selectors.count_unread_and_unseen(
            user=self.customer.user, now=timezone.now()
        )
        return Response({"count": unread, "unseenCount": unseen})


class MarkReadView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: NotificationOutput, **_NOT_FOUND},
        summary="Mark a notification read (reading twice is fine)",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification: Notification = mark_read(
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
        return Response({"updated": mark_all_read(user=self.customer.user)})


class DismissView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={204: None, **_NOT_FOUND},
        summary="Dismiss a notification: archive it (kept for shipped apps)",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        dismiss(user=self.customer.user, notification_id=notification_id)
        return Response(status=204)


class MarkAllSeenView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: ReadAllOutput, 401: ErrorSerializer},
        summary="Mark everything visible seen (the bell was opened)",
    )
    def post(self, request: Request) -> Response:
        return Response({"updated": mark_all_seen(user=self.customer.user)})


class ArchiveView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: NotificationOutput, **_NOT_FOUND},
        summary="Archive a notification: it leaves the list and the counts",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = archive(user=self.customer.user, notification_id=notification_id)
        return Response(NotificationOutput(notification).data)


class UnarchiveView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={200: NotificationOutput, **_NOT_FOUND},
        summary="Bring an archived notification back to the list",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = unarchive(user=self.customer.user, notification_id=notification_id)
        return Response(NotificationOutput(notification).data)


class SnoozeView(CustomerAPIView):
    @extend_schema(
        request=SnoozeInput,
        responses={200: NotificationOutput, 400: ErrorSerializer, **_NOT_FOUND},
        summary="Hide a notification until a time; then it is back, unread",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        data = SnoozeInput(data=request.data)
        data.is_valid(raise_exception=True)
        notification = snooze(
            user=self.customer.user,
            notification_id=notification_id,
            until=data.validated_data["until"],
        )
        return Response(NotificationOutput(notification).data)


class BulkView(CustomerAPIView):
    @extend_schema(
        request=BulkInput,
        responses={200: ReadAllOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="Read or archive up to 100 notifications by id",
        description="Ids that are not the customer's change nothing.",
    )
    def post(self, request: Request) -> Response:
        data = BulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = bulk_update(
            user=self.customer.user,
            ids=data.validated_data["ids"],
            action=data.validated_data["action"],
        )
        return Response({"updated": updated})


class ChannelsSerializer(serializers.Serializer):
    inApp = serializers.BooleanField(source="in_app")
    email = serializers.BooleanField()
    push = serializers.BooleanField(help_text="to the customer's phones (the mobile apps)")


class PreferencesOutput(serializers.Serializer):
    categories = serializers.DictField(child=ChannelsSerializer())


class ChannelsInput(serializers.Serializer):
    unknown_fields_refused = True
    inApp = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


class CategoriesInput(serializers.Serializer):
    unknown_fields_refused = True

    def get_fields(self) -> dict[str, serializers.Field]:
        return {category: ChannelsInput(required=False) for category in selectors.CATEGORIES}


class PreferencesInput(serializers.Serializer):
    """The PUT body as the schema states it (_preference_changes reads it): known categories
    and channels only, each left out keeping its value."""

    unknown_fields_refused = True
    categories = CategoriesInput()


_CHANNEL_NAMES = {"inApp": "in_app", "email": "email", "push": "push"}


def _preference_changes(body: Any) -> dict[str, dict[str, bool]]:
    """The PUT body in the services' names; anything unknown or not a boolean is a 400."""
    categories = body.get("categories") if isinstance(body, dict) else None
    if not isinstance(categories, dict) or set(body) - {"categories"}:
        raise ApplicationError(
            "validation_error",
            _('Send {"categories": {category: {channel: true or false}}}.'),
            fields={"categories": [_("This field is required.")]},
        )
    changes: dict[str, dict[str, bool]] = {}
    errors: dict[str, list[str]] = {}
    for category, channels in categories.items():
        if not isinstance(channels, dict):
            errors[str(category)] = [_("Send the channels of this category.")]
            continue
        changes[category] = {}
        for channel, value in channels.items():
            if channel not in _CHANNEL_NAMES:
                errors[f"{category}.{channel}"] = [_("Unknown channel.")]
            elif not isinstance(value, bool):
                errors[f"{category}.{channel}"] = [_("Use true or false.")]
            else:
                changes[category][_CHANNEL_NAMES[channel]] = value
    if errors:
        raise ApplicationError("validation_error", _("Check the preferences you sent."), errors)
    return changes


def _preferences_body(preferences: dict[str, dict[str, bool]]) -> dict[str, Any]:
    return PreferencesOutput({"categories": preferences}).data


class NotificationPreferencesView(CustomerAPIView):
    @extend_schema(
        responses={200: PreferencesOutput, 401: ErrorSerializer},
        summary="Which categories the customer is told about, in-app, by email and by push",
    )
    def get(self, request: Request) -> Response:
        preferences = selectors.get_notification_preferences(user=self.customer.user)
        return Response(_preferences_body(preferences))

    @extend_schema(
        request=PreferencesInput,
        responses={200: PreferencesOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="Change the preferences, whole or in part",
        description="A category or a channel left out keeps its value. Critical notifications"
        " are shown in-app and emailed whatever the setting; a push goes out when the"
        " notification is shown in-app and its category's push is on.",
    )
    def put(self, request: Request) -> Response:
        preferences = update_notification_preferences(
            user=self.customer.user, changes=_preference_changes(request.data)
        )
        return Response(_preferences_body(preferences))


# --- Devices (push to the mobile apps) ------------------------------------------------------


def _whole(pattern: str) -> str:
    """A pattern the service fullmatches, as a schema's (unanchored) pattern."""
    return f"^(?:{pattern})$"


class DeviceInput(serializers.Serializer):
    # The formats are the service's (notifications.devices) to check; the schema states them.
    platform = serializers.ChoiceField(choices=DevicePlatform.values)
    token = StrictCharField(
        max_length=devices.TOKEN_MAX_LENGTH,
        help_text="The app's Firebase Cloud Messaging registration token",
        schema={"pattern": _whole(devices.TOKEN_PATTERN.pattern)},
    )
    appVersion = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=devices.APP_VERSION_MAX_LENGTH,
        help_text="Left out: the version registered before is kept",
        schema={"pattern": _whole(devices.APP_VERSION_PATTERN.pattern)},
    )
    language = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=devices.LANGUAGE_MAX_LENGTH,
        help_text="The app's language tag, e.g. ja; pushes speak the customer's language",
        schema={"pattern": _whole(f"(?:{devices.LANGUAGE_PATTERN.pattern})?")},
    )


class DeviceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    platform = serializers.ChoiceField(choices=DevicePlatform.values)
    createdAt = DateTimeField(source="created_at")
    lastSeenAt = DateTimeField(source="last_seen_at")


class DeviceListOutput(serializers.Serializer):
    items = DeviceOutput(many=True)


class DeviceListView(CustomerAPIView):
    @extend_schema(
        responses={200: DeviceListOutput, 401: ErrorSerializer},
        operation_id="devices_list",
        summary="The customer's phones that receive push notifications",
        description="The most recently seen first. Not paginated: a customer has a few.",
    )
    def get(self, request: Request) -> Response:
        items = selectors.list_devices(user=self.customer.user)
        return Response({"items": DeviceOutput(items, many=True).data})

    @extend_schema(
        request=DeviceInput,
        responses={
            201: DeviceOutput,
            200: DeviceOutput,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        summary="Register this phone for push notifications",
        description="The same token again answers 200 with the device, now this customer's "
        "and seen now (a token moves to the last customer who registered it). Logging out "
        "with the refresh token of the login that registered it forgets the device.",
    )
    def post(self, request: Request) -> Response:
        data = DeviceInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        device, created = devices.register_device(
            user=self.customer.user,
            platform=body["platform"],
            token=body["token"],
            app_version=body.get("appVersion"),
            language=body.get("language"),
            token_family=token_family(request.auth),
        )
        return Response(DeviceOutput(device).data, status=201 if created else 200)


class DeviceDetailView(CustomerAPIView):
    @extend_schema(
        request=None,
        responses={204: None, **_NOT_FOUND},
        summary="Forget a device: it receives no more push notifications",
    )
    def delete(self, request: Request, device_id: int) -> Response:
        devices.forget_device(user=self.customer.user, device_id=device_id)
        return Response(status=204)
