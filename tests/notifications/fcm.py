"""A stand-in for Firebase Cloud Messaging that a test starts on 127.0.0.1.

It serves the two endpoints the portal calls: the OAuth2 token endpoint (the service
account's `token_uri`, where google-auth exchanges its signed assertion) and the HTTP v1
`messages:send`. It records every request and answers from a script: a test queues the
answers it wants first (429 with Retry-After, 500, UNREGISTERED), then it accepts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "portal-standin"


@dataclass
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def unregistered() -> Answer:
    """What FCM answers for a token whose app was removed."""
    return Answer(
        404,
        {
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                        "errorCode": "UNREGISTERED",
                    }
                ],
            }
        },
    )


def quota_exceeded(retry_after: str = "120") -> Answer:
    return Answer(
        429,
        {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded."}},
        {"Retry-After": retry_after},
    )


def internal_error() -> Answer:
    return Answer(500, {"error": {"code": 500, "status": "INTERNAL", "message": "Internal."}})


class Fcm:
    """The stand-in's state: what it received and what it answers next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token_requests: list[dict[str, list[str]]] = []
        # Every messages:send received, answered whatever way: (headers, body, status).
        self.requests: list[tuple[dict[str, str], dict[str, Any], int]] = []
        self.script: list[Answer] = []
        self.delay = 0.0
        # messages:send requests that arrived (counted before the delay, unlike `requests`).
        self.arrived = 0
        self.issued = 0
        self.port = 0
        self.public_key: Any = None

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """The messages FCM accepted (answered 200): the pushes that reached phones."""
        return [body["message"] for _headers, body, status in self.requests if status == 200]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(fcm: Fcm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, answer: Answer) -> None:
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/token":
                form = parse_qs(raw.decode())
                # google-auth's assertion, signed with the service account's key (its
                # audience is Google's token endpoint, wherever the file sends it).
                claims = jwt.decode(
                    form["assertion"][0],
                    fcm.public_key,
                    algorithms=["RS256"],
                    audience="https://oauth2.googleapis.com/token",
                )
                with fcm.lock:
                    fcm.token_requests.append(form)
                    fcm.issued += 1
                    token = f"standin-access-{fcm.issued}"
                assert "firebase.messaging" in claims["scope"]
                self._answer(Answer(200, {"access_token": token, "expires_in": 3600}))
                return
            if self.path != f"/v1/projects/{PROJECT}/messages:send":
                self._answer(Answer(404, {"error": {"code": 404, "status": "NOT_FOUND"}}))
                return
            if not self.headers.get("authorization", "").startswith("Bearer standin-access-"):
                self._answer(Answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}))
                return
            with fcm.lock:
                fcm.arrived += 1
            if fcm.delay:
                time.sleep(fcm.delay)
            body = json.loads(raw)
            with fcm.lock:
                answer = (
                    fcm.script.pop(0)
                    if fcm.script
                    else Answer(200, {"name": f"projects/{PROJECT}/messages/{len(fcm.requests)}"})
                )
                fcm.requests.append(
                    ({k.lower(): v for k, v in self.headers.items()}, body, answer.status)
                )
            self._answer(answer)

    return Handler


def write_service_account(path: Path, *, token_uri: str) -> Any:
    """A service account key file like Google's, with a fresh key; returns the public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "standin-key-1",
                "private_key": pem,
                "client_email": f"push@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "1234567890",
                "token_uri": token_uri,
            }
        )
    )
    return key.public_key()


@pytest.fixture(name="fcm")
def fcm_standin(settings: Any, tmp_path: Path) -> Iterator[Fcm]:
    """The stand-in on an ephemeral port, and the settings and key file pointing at it."""
    state = Fcm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    credentials = tmp_path / "service-account.json"
    state.public_key = write_service_account(credentials, token_uri=f"{state.url}/token")
    settings.FCM_CREDENTIALS_FILE = str(credentials)
    settings.FCM_PROJECT_ID = ""  # read from the key file, as in production by default
    settings.FCM_ENDPOINT = state.url
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
