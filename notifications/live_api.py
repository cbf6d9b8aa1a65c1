"""Live and incremental reads: the event stream and the changes feed of API.md "Additions"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from importlib import import_module
from types import SimpleNamespace
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import CustomerAPIView
from notifications import live
from notifications.api import NotificationOutput
from notifications.changes import MAX_CHANGES, ChangeKey, list_changes
from portal.serializers import ErrorSerializer

# How long a browser waits before reconnecting a stream that ended.
RETRY_MILLISECONDS = 3000


class ChangesOutput(serializers.Serializer):
    items = NotificationOutput(many=True)
    nextAfter = serializers.CharField(help_text="Keep it: the `after` of the next sync")
    hasMore = serializers.BooleanField(help_text="More changes are waiting: ask again now")


# One Server-Sent Event of the stream, as an EventSource reads it (comments aside). Built
# inline: a serializer class cannot declare a field named `data`.
StreamEventOutput = inline_serializer(
    name="StreamEventOutput",
    fields={
        "id": serializers.CharField(required=False, help_text="Send it back as Last-Event-ID"),
        "event": serializers.ChoiceField(choices=["notification", "counts"], required=False),
        "data": serializers.CharField(
            required=False, help_text="JSON: a notification, or {count, unseenCount}"
        ),
        "retry": serializers.IntegerField(
            required=False, help_text="Milliseconds to wait before reconnecting"
        ),
    },
)


class ChangesView(CustomerAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.STR,
                description="nextAfter of the last sync (or a stream event id); "
                "omitted: the last 30 days",
            )
        ],
        responses={200: ChangesOutput, 400: ErrorSerializer, 401: ErrorSerializer},
        summary="Every notification created or changed since the last sync, oldest first",
        description=f"At most {MAX_CHANGES} at a time; read, seen, archived, snoozed and "
        "retired ones included, with their state.",
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("after")
        after = ChangeKey.decode(raw, name="after") if raw else None
        page = list_changes(user=self.customer.user, after=after, now=timezone.now())
        body = {
            "items": page.items,
            "nextAfter": page.next_after.encode(),
            "hasMore": page.has_more,
        }
        return Response(ChangesOutput(body).data)


def _session_check(session_key: str, user_id: int) -> Callable[[], bool]:
    """True while the browser session is still the same customer's (no logout, no expiry)."""

    def check() -> bool:
        probe = HttpRequest()
        probe.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = get_user(probe)
        return bool(user.is_authenticated and user.pk == user_id)

    return check


def _token_check(authenticator: BaseAuthentication, header: str) -> Callable[[], bool]:
    """True while the Bearer token still authenticates (the user active, not revoked)."""

    def check() -> bool:
        probe = HttpRequest()
        probe.META["HTTP_AUTHORIZATION"] = header
        try:
            return authenticator.authenticate(probe) is not None  # type: ignore[arg-type]
        except exceptions.APIException:
            return False

    return check


def _credentials(request: Request, user_id: int) -> live.Credentials:
    token: Any = request.auth
    if token is not None and request.successful_authenticator is not None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        authenticator = cast(BaseAuthentication, request.successful_authenticator)
        return live.Credentials(
            user_id=user_id,
            token_expires_at=float(token["exp"]),
            check=_token_check(authenticator, header),
        )
    session_key = request.session.session_key or ""
    return live.Credentials(user_id=user_id, check=_session_check(session_key, user_id))


async def _asgi_events(
    credentials: live.Credentials, after: ChangeKey | None
) -> AsyncIterator[bytes]:
    hub = live.get_hub()
    stream = await hub.subscribe(credentials, after=after)
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    async for payload in hub.events(stream):
        yield payload


def _wsgi_events(credentials: live.Credentials, after: ChangeKey | None) -> Iterator[bytes]:
    """Under WSGI a stream cannot wait without holding a thread: send what is there and end.

    The browser reconnects after `retry` with Last-Event-ID, which makes it a short poll.
    """
    events, _cursor = live._catch_up(user_id=credentials.user_id, after=after, until=None)
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    yield from events


class EventStreamRenderer(BaseRenderer):
    """Lets a client that accepts only `text/event-stream` (EventSource) reach the view;
    errors before the stream starts are still the JSON error shape."""

    media_type = "text/event-stream"
    format = "event-stream"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return JSONRenderer().render(data)


class AcceptOnlyNegotiation(DefaultContentNegotiation):
    """The stream's media type comes from the Accept header alone (no `?format=`)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


class AcceptOnlySchema(AutoSchema):
    def _get_format_parameters(self) -> list[dict[str, Any]]:
        return []


class NotificationStreamView(CustomerAPIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]
    content_negotiation_class = AcceptOnlyNegotiation
    schema = AcceptOnlySchema()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                description="Resume after this event (browsers send it when they reconnect)",
            )
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                StreamEventOutput,
                description="Events `notification` (data: a notification) and `counts` "
                '(data: `{"count", "unseenCount"}`), each with an `id` to resume from; a '
                "comment line every 25 seconds. Ends when the login ends.",
            ),
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        summary="Server-Sent Events: notifications and counts as they change",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        raw = request.headers.get("Last-Event-ID")
        after = ChangeKey.decode(raw, name="Last-Event-ID") if raw else None
        credentials = _credentials(request, self.customer.user_id)
        if isinstance(request._request, ASGIRequest):
            content: AsyncIterator[bytes] | Iterator[bytes] = _asgi_events(credentials, after)
        else:
            content = _wsgi_events(credentials, after)
        response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "private, no-cache"
        # nginx and others: pass each event on as it comes.
        response["X-Accel-Buffering"] = "no"
        return response
