"""Helpers for the CRM tests: signed events, delivered as the CRM delivers them."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

WEBHOOK_SECRET = "test-webhook-secret-0123456789"
EVENTS_URL = reverse("api-salesforce-events")


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(
    *,
    account_id: str,
    changes: dict[str, Any],
    event_id: str = "evt-0001",
    occurred_at: str | None = None,
    type: str = "AccountChanged",
) -> bytes:
    payload = {
        "eventId": event_id,
        "type": type,
        "accountId": account_id,
        "occurredAt": occurred_at or timezone.now().isoformat(),
        "changes": changes,
    }
    return json.dumps(payload).encode()


def post_event(client: Any, body: bytes, signature: str | None = "sign") -> Any:
    """POST raw bytes as the CRM does; `signature="sign"` signs them correctly."""
    headers = {}
    if signature is not None:
        headers["HTTP_X_SIGNATURE"] = sign(body) if signature == "sign" else signature
    return client.generic("POST", EVENTS_URL, body, content_type="application/json", **headers)


@contextmanager
def database_fails_on(table: str, *, times: int | None = None) -> Iterator[list[str]]:
    """Statements on `table` fail as they do while PostgreSQL restarts (`times` of them, or all).

    The database is the outside world here: our code runs unchanged and meets the error
    where it would meet the real one. Yields the statements that failed.
    """
    failed: list[str] = []

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if f'"{table}"' in sql and (times is None or len(failed) < times):
            failed.append(sql)
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield failed
