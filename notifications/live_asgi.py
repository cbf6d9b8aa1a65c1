"""The stream under ASGI without a thread per open stream.

Django runs each ASGI request's synchronous code (the middleware, DRF) in a thread that
lives as long as the response, so a stream served the ordinary way would hold a thread
for hours. Here the same Django handling (every middleware, authentication, the error
shape) runs in a small shared pool and returns at once; the events are then sent from the
event loop, and a client that goes away ends its stream.
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections, connection
from django.http import HttpResponseBase

PATH = "/api/notifications/stream"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_opening = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stream-open")


@functools.cache
def _handler() -> BaseHandler:
    handler = BaseHandler()
    handler.load_middleware(is_async=False)
    return handler


def _respond(request: ASGIRequest) -> HttpResponseBase:
    close_old_connections()
    try:
        return _handler().get_response(request)
    finally:
        # This pool thread keeps no connection: the hub reads for every stream.
        connection.close()


def _headers(response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()
    ]
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers


async def serve_stream(scope: Scope, receive: Receive, send: Send) -> None:
    request = ASGIRequest(scope, io.BytesIO())
    loop = asyncio.get_running_loop()
    response = await loop.run_in_executor(_opening, _respond, request)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": _headers(response),
        }
    )
    if not response.streaming:
        await send({"type": "http.response.body", "body": response.content})  # type: ignore[attr-defined]
        await loop.run_in_executor(_opening, response.close)
        return

    async def pump() -> None:
        async for chunk in response:  # type: ignore[attr-defined]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    tasks = {asyncio.create_task(pump()), asyncio.create_task(watch())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await loop.run_in_executor(_opening, response.close)


def with_streams(django_application: Callable[..., Awaitable[None]]) -> Callable[..., Any]:
    """The ASGI application: the stream's path as above, everything else to Django."""

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            await serve_stream(scope, receive, send)
        else:
            await django_application(scope, receive, send)

    return application
