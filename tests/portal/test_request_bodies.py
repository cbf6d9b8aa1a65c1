"""Bodies are refused while they arrive, at their route's limit (API.md "Third wave"), by the
ASGI application the web process serves (`portal.asgi.application`), before Django reads them.

A client here is a coroutine that hands the application 64 KB at a time of a body as long as
the test says (a gigabyte costs nothing until it is asked for), so each test can count how
much of it the application read before it answered.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
CHUNK = 64 * KB


def _asgi_application() -> Any:
    """`portal.asgi.application`, leaving this process's environment as it was: the module
    sets CONN_MAX_AGE for the web process it starts, and the processes other tests start
    inherit this one's environment."""
    environment = dict(os.environ)
    try:
        return importlib.import_module("portal.asgi").application
    finally:
        os.environ.clear()
        os.environ.update(environment)


application = _asgi_application()


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes
    bytes_read: int

    def json(self) -> Any:
        return json.loads(self.body)


def send_body(
    path: str,
    *,
    length: int,
    declared: int | None = None,
    content_type: bytes = b"application/json",
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> Answer:
    """POST `length` bytes to `path` (with a Content-Length of `declared`, else chunked)."""
    request_headers = [(b"host", b"testserver"), (b"content-type", content_type), *headers]
    if declared is not None:
        request_headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": request_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    read = 0
    started: dict[str, Any] = {}
    body = bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= length:
            await asyncio.Future()  # all sent: the client waits for the answer
        chunk = b"\0" * min(CHUNK, length - read)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": read < length}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    # In a thread of its own: a browser test's Playwright keeps an event loop running in this
    # one for the whole session, and asyncio.run() refuses to start a second.
    worker = threading.Thread(target=asyncio.run, args=(application(scope, receive, send),))
    worker.start()
    worker.join()
    return Answer(started["status"], dict(started["headers"]), bytes(body), read)


def test_a_gigabyte_sent_to_the_token_endpoint_is_refused_after_its_first_megabyte():
    answer = send_body("/api/auth/token", length=GB)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert answer.json()["error"]["message"] == (
        "The request is larger than 1 MB, the most accepted here."
    )
    assert answer.bytes_read <= MB + CHUNK
    assert answer.headers[b"connection"] == b"close"


def test_a_gigabyte_sent_to_the_crm_webhook_stops_at_the_webhooks_own_limit():
    answer = send_body("/api/integrations/salesforce/events", length=GB)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert answer.bytes_read <= 64 * KB + CHUNK


@override_settings(CRM_WEBHOOK_MAX_BODY_BYTES=4 * KB)
def test_the_webhooks_limit_is_its_setting():
    assert send_body("/api/integrations/salesforce/events", length=5 * KB).status == 413


def test_a_declared_length_over_the_limit_is_answered_before_a_byte_is_read():
    answer = send_body("/api/auth/token", length=GB, declared=GB)
    assert answer.status == 413
    assert answer.bytes_read == 0


def test_a_residence_card_request_is_read_up_to_21_mb_and_no_further():
    multipart = b"multipart/form-data; boundary=x"
    answer = send_body("/api/me/residence-card", length=GB, content_type=multipart)
    assert answer.status == 413
    assert answer.json()["error"]["message"] == (
        "The request is larger than 21 MB, the most accepted here."
    )
    assert 21 * MB - CHUNK < answer.bytes_read <= 21 * MB + CHUNK


def test_a_body_within_its_routes_limit_reaches_the_view():
    # 20 MB to the residence card: read whole, then refused for want of credentials.
    multipart = b"multipart/form-data; boundary=x"
    answer = send_body(
        "/api/me/residence-card", length=20 * MB, declared=20 * MB, content_type=multipart
    )
    assert answer.status == 401
    assert answer.bytes_read == 20 * MB


def test_a_json_body_within_a_megabyte_reaches_the_view():
    answer = send_body("/api/auth/token", length=MB)
    assert answer.status == 400  # read whole, and parsed: it is not JSON
    assert answer.json()["error"]["code"] == "validation_error"
    assert answer.bytes_read == MB


@pytest.mark.parametrize(
    ("headers", "heading"),
    [
        ((), "What you sent is too large"),
        (((b"accept-language", b"ja"),), "送信された内容が大きすぎます"),
        (((b"cookie", b"django_language=ja"),), "送信された内容が大きすぎます"),
    ],
)
def test_a_page_upload_over_21_mb_is_a_short_page_in_the_readers_language(headers, heading):
    multipart = b"multipart/form-data; boundary=x"
    answer = send_body("/account/verification", length=GB, content_type=multipart, headers=headers)
    assert answer.status == 413
    assert answer.headers[b"content-type"].startswith(b"text/html")
    page = answer.body.decode()
    assert heading in page
    assert "21 MB" in page
    assert 'href="/account/verification"' in page  # back to the form
    assert answer.bytes_read <= 21 * MB + CHUNK


def test_any_other_page_takes_at_most_a_megabyte():
    answer = send_body("/login", length=GB, content_type=b"application/x-www-form-urlencoded")
    assert answer.status == 413
    assert answer.bytes_read <= MB + CHUNK
