"""Request bodies are refused while they arrive, at their route's limit (API.md "Third wave").

Django's ASGI handler reads a whole body (spooling it to disk past 2.5 MB) before any of
our code runs, so a limit checked by a view or a parser comes after the bytes are stored.
`limit_request_bodies` wraps the ASGI application outside Django: a declared length over
the limit is answered 413 before a byte is read, and a body that passes the limit while
it arrives stops being read there (Django is told the client went away, and the 413 is
sent in its place). Nothing reads or stores more than the limit.

A route's limit: 1 MB (JSON and forms); a route that takes files, 10 MB per file and the sum
of its files' limits plus 1 MB in all; a few routes a limit of their own.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Routes that take files (by URL name), and how many at most.
FILES_BY_ROUTE = {
    "api-residence-card": 2,
    "account-verification": 2,
}
# Routes with a limit of their own, by the setting that holds it.
LIMIT_SETTING_BY_ROUTE = {
    "api-salesforce-events": "CRM_WEBHOOK_MAX_BODY_BYTES",
}


def body_limit(path: str) -> int:
    """The most a request body to `path` may be, in bytes."""
    try:
        name = resolve(path).url_name
    except Resolver404:
        name = None
    if name in LIMIT_SETTING_BY_ROUTE:
        return int(getattr(settings, LIMIT_SETTING_BY_ROUTE[name]))
    rest = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return FILES_BY_ROUTE.get(name or "", 0) * settings.FILE_UPLOAD_MAX_BYTES + rest


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _refusal(scope: Scope, limit: int) -> tuple[bytes, bytes]:
    """(content type, body) of the 413, in the language the request asks for."""
    # Here, not above: the error shape's module imports the upload handler, which imports this.
    from portal.api_errors import error_body

    request = ASGIRequest(scope, io.BytesIO())
    with translation.override(translation.get_language_from_request(request)):
        if scope["path"].startswith("/api/"):
            message = _("The request is larger than %(limit)s, the most accepted here.") % {
                "limit": _size(limit)
            }
            body = json.dumps(error_body("payload_too_large", message), ensure_ascii=False)
            return b"application/json", body.encode()
        page = loader.get_template("413.html").render(
            {"limit": _size(limit), "back_path": scope["path"]}
        )
        return b"text/html; charset=utf-8", page.encode()


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    content_type, body = await sync_to_async(_refusal, thread_sensitive=False)(scope, limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot carry another
                # request after it.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def limit_request_bodies(application: ASGIApp) -> ASGIApp:
    """The ASGI application with every request body held to its route's limit."""

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await application(scope, receive, send)
            return
        declared = _declared_length(scope)
        limit: int | None = None
        if declared:
            # Resolving a path is a few microseconds of pure Python: no thread for it.
            limit = body_limit(scope["path"])
            if declared > limit:
                await _refuse(scope, send, limit)
                return
        received = 0
        over = False
        responded = False

        async def receive_within_limit() -> Message:
            nonlocal received, over, limit
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            chunk = message.get("body", b"") if message["type"] == "http.request" else b""
            if chunk:
                received += len(chunk)
                if limit is None:
                    # Sent without a length (chunked): the limit is looked up once it matters.
                    limit = body_limit(scope["path"])
                if received > limit:
                    # Django stops reading as for a client that went away, and answers nothing.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def send_noting_response(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        await application(scope, receive_within_limit, send_noting_response)
        if over and not responded:
            assert limit is not None
            await _refuse(scope, send, limit)

    return limited
