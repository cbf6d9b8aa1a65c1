"""Firebase Cloud Messaging's HTTP v1 API: one message to one registration token.

Authentication is OAuth2 with a service account, done by google-auth: it signs the JWT
assertion with the account's key, exchanges it at the file's `token_uri` and refreshes the
access token before it expires (and once more on a 401). Settings:

- `FCM_PROJECT_ID`: the Firebase project (default: the service account's `project_id`);
- `FCM_CREDENTIALS_FILE`: the service account's JSON key file; empty: nothing is sent;
- `FCM_ENDPOINT`: `https://fcm.googleapis.com` unless a stand-in is used (tests).

The answers are sorted into what the caller does next: `PushRetryLater` (429 and 5xx, a
network failure: try again, not before `retry_after` when FCM said so), `PushUnregistered`
(the app was removed or the token expired: forget the device) and `PushRejected` (refused
for good). FCM has no idempotency key, so a request cut off after FCM accepted it cannot
be told from one that never arrived: the caller may send it once more.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from google.auth.exceptions import GoogleAuthError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_ENDPOINT = "https://fcm.googleapis.com"
# Seconds to connect and to wait for FCM's answer; a stuck send fails and is retried.
TIMEOUT = (5, 15)
# FCM asking us to wait longer than this is treated as this (the task comes back then).
MAX_RETRY_AFTER = 3600


class PushError(Exception):
    """A push that did not go out."""


class PushRetryLater(PushError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PushUnregistered(PushError):
    """FCM says the token is no longer valid: the app was removed or its token replaced."""


class PushRejected(PushError):
    """Refused for good: sending it again would be refused again."""


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    # Strings only: FCM's `data` is a map of strings.
    data: dict[str, str]
    badge: int
    # Replaces a copy shown before (a push sent twice after a worker died mid-send).
    tag: str

    def as_fcm(self) -> dict[str, Any]:
        return {
            "message": {
                "token": self.token,
                "notification": {"title": self.title, "body": self.body},
                "data": self.data,
                "android": {
                    "collapse_key": self.tag,
                    "notification": {"tag": self.tag, "notification_count": self.badge},
                },
                "apns": {
                    "headers": {"apns-collapse-id": self.tag},
                    "payload": {"aps": {"badge": self.badge, "sound": "default"}},
                },
            }
        }


def is_configured() -> bool:
    return bool(settings.FCM_CREDENTIALS_FILE)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (it is a number of seconds or an HTTP date), at most an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _error_codes(response: requests.Response) -> set[str]:
    """FCM's error status and the FcmError codes of its details."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return set()
    if not isinstance(error, dict):
        return set()
    codes = {str(error.get("status", ""))}
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            codes.add(str(detail["errorCode"]))
    return codes - {""}


class FcmClient:
    """One project's sender. Thread-safe enough for the workers: one session per thread."""

    def __init__(self, *, credentials_file: str, project_id: str = "", endpoint: str = "") -> None:
        try:
            with open(credentials_file, encoding="utf-8") as file:
                info = json.load(file)
            credentials = service_account.Credentials.from_service_account_info(
                info, scopes=[SCOPE]
            )
        except (OSError, ValueError) as error:
            raise ImproperlyConfigured(
                f"FCM_CREDENTIALS_FILE {credentials_file!r} is not a service account key: {error}"
            ) from error
        self.project_id = project_id or str(info.get("project_id", ""))
        if not self.project_id:
            raise ImproperlyConfigured("Set FCM_PROJECT_ID: the key file names no project_id.")
        self.credentials = credentials
        self.url = (
            f"{(endpoint or DEFAULT_ENDPOINT).rstrip('/')}"
            f"/v1/projects/{self.project_id}/messages:send"
        )
        self._local = threading.local()

    def _session(self) -> AuthorizedSession:
        session: AuthorizedSession | None = getattr(self._local, "session", None)
        if session is None:
            session = AuthorizedSession(self.credentials)
            self._local.session = session
        return session

    def send(self, message: PushMessage) -> str:
        """Send one message; FCM's name for it. Raises a PushError subclass otherwise."""
        try:
            response = self._session().post(self.url, json=message.as_fcm(), timeout=TIMEOUT)
        except (requests.RequestException, TransportError) as error:
            raise PushRetryLater(f"FCM unreachable: {type(error).__name__}: {error}") from error
        except GoogleAuthError as error:
            # The token endpoint refused the service account (a revoked key): nothing will
            # go out until an operator fixes it, but the pushes wait for that, retried.
            raise PushRetryLater(f"OAuth token refused: {error}") from error
        status = response.status_code
        if status == 200:
            try:
                return str(response.json().get("name", ""))
            except ValueError:
                return ""
        codes = _error_codes(response)
        summary = f"FCM answered {status} {','.join(sorted(codes))}: {response.text[:500]}"
        if "UNREGISTERED" in codes:
            raise PushUnregistered(summary)
        if status == 429 or status >= 500 or status == 401:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise PushRetryLater(summary, retry_after=retry_after)
        raise PushRejected(summary)


_clients: dict[tuple[str, str, str], FcmClient] = {}
_clients_lock = threading.Lock()


def get_client() -> FcmClient | None:
    """The configured client, made once per process and settings; None: push is only logged."""
    if not is_configured():
        return None
    key = (settings.FCM_CREDENTIALS_FILE, settings.FCM_PROJECT_ID, settings.FCM_ENDPOINT)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = FcmClient(credentials_file=key[0], project_id=key[1], endpoint=key[2])
            _clients[key] = client
        return client
