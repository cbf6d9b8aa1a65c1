"""Bodies too large, sent to the web process as the Procfile runs it (gunicorn with uvicorn
workers, DEBUG off), over a real socket.

A gigabyte sent in chunks to `/api/auth/token` is answered 413 after little more than its
first megabyte, and nothing of it is spooled to the process's temporary folder; a declared
gigabyte is answered before the body is sent. A 20 MB residence card (over 10 MB for one
file, under the request's 21 MB) sent from the page gets the page again with the size message.
"""

from __future__ import annotations

import select
import socket
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from accounts.models import ResidenceCardVerification
from tests.accounts.support import JPEG
from tests.factories import CustomerFactory
from tests.reliability.processes import HOST, asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024
CHUNK = 64 * 1024


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _send_until_answered(base_url: str, head: bytes, *, body_limit: int) -> tuple[bytes, int]:
    """Send `head`, then a chunked body of zeros until the server answers (or `body_limit`
    bytes have gone); the answer and how many body bytes were sent."""
    port = int(base_url.rsplit(":", 1)[1])
    sent = 0
    with socket.create_connection((HOST, port), timeout=30) as connection:
        connection.sendall(head)
        chunk = f"{CHUNK:x}\r\n".encode() + b"\0" * CHUNK + b"\r\n"
        try:
            while sent < body_limit:
                readable, _, _ = select.select([connection], [], [], 0)
                if readable:
                    break
                connection.sendall(chunk)
                sent += CHUNK
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: read what it said
        answer = b""
        while True:
            try:
                data = connection.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    return answer, sent


def _spooled(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_a_gigabyte_sent_to_the_token_endpoint_is_refused_as_it_arrives(tmp_path: Path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    head = (
        b"POST /api/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with asgi_server(tmp_path, TMPDIR=str(spool)) as base_url:
        answer, sent = _send_until_answered(base_url, head, body_limit=1024 * MB)
        spooled = _spooled(spool)

    assert _status(answer) == 413, answer[:500]
    assert b'"code": "payload_too_large"' in answer
    # What is in flight in the sockets' buffers besides, never the gigabyte.
    assert sent < 64 * MB
    assert spooled == []


def test_a_declared_gigabyte_is_refused_before_it_is_sent(tmp_path: Path):
    head = (
        b"POST /api/integrations/salesforce/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
    )
    with asgi_server(tmp_path) as base_url:
        answer, sent = _send_until_answered(base_url, head, body_limit=0)

    assert _status(answer) == 413, answer[:500]
    assert sent == 0


def test_a_20_mb_card_sent_from_the_page_gets_the_page_with_the_size_message(tmp_path: Path):
    customer = CustomerFactory(language="ja")
    client = Client()
    client.force_login(customer.user)  # committed: the server reads the same session table
    browser = requests.Session()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies["sessionid"].value)

    with asgi_server(tmp_path) as base_url:
        form = browser.get(f"{base_url}/account/verification", timeout=30)
        assert form.status_code == 200
        answer = browser.post(
            f"{base_url}/account/verification",
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            files={
                "front": ("front.jpg", JPEG + b"\0" * (20 * MB), "image/jpeg"),
                "back": ("back.jpg", JPEG, "image/jpeg"),
            },
            headers={"Referer": f"{base_url}/account/verification"},
            timeout=60,
        )

    assert answer.status_code == 200, answer.text[:500]
    assert "ファイルが10MBを超えています。" in answer.text
    assert 'name="front"' in answer.text
    assert not ResidenceCardVerification.objects.exclude(front_image="").exists()
