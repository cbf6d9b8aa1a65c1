"""Helpers for the CRM tests: signed events, delivered as the CRM delivers them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

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
