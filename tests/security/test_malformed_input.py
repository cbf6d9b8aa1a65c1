"""Input the schema fuzzing does not generate: JSON nested thousands deep, and text that JSON
can carry but no database stores. Each is a 400 in the error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from crm.models import CrmEvent
from support.services import create_support_request
from tests.crm.support import EVENTS_URL, WEBHOOK_SECRET, post_event
from tests.factories import InvoiceFactory, NotificationFactory
from tests.security.test_api_fuzz import schema

pytestmark = pytest.mark.django_db

DEEP = b"[" * 20_000 + b"]" * 20_000


def _json_operations() -> list[tuple[str, str]]:
    """Every documented operation that takes a JSON body, webhook included."""
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        body = operation.definition.raw.get("requestBody", {})
        if "application/json" in body.get("content", {}):
            found.append((operation.method.upper(), operation.path))
    return sorted(found)


JSON_OPERATIONS = _json_operations()


def test_the_list_of_json_operations_is_not_empty() -> None:
    assert ("POST", "/api/orders") in JSON_OPERATIONS
    assert ("POST", EVENTS_URL) in JSON_OPERATIONS


@pytest.fixture
def webhook_secret(settings: Any) -> None:
    settings.CRM_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.mark.parametrize(("method", "path"), JSON_OPERATIONS)
def test_json_nested_too_deeply_to_read_is_a_400(
    method: str, path: str, api: Any, client: Any, customer: Any, webhook_secret: None
) -> None:
    concrete = path.replace("{subscription_id}", "1").replace("{order_id}", "1")
    # The customer's own invoice: another customer's is a 404 before the body is read.
    concrete = concrete.replace("{invoice_id}", str(InvoiceFactory(customer=customer).pk))
    notification = NotificationFactory(user=customer.user)
    concrete = concrete.replace("{notification_id}", str(notification.pk))
    if "{request_id}" in concrete:
        support = create_support_request(customer=customer, topic="other", message="Help")
        concrete = concrete.replace("{request_id}", str(support.support_request.pk))
    if path == EVENTS_URL:
        response = post_event(client, DEEP)
    else:
        response = api.generic(method, concrete, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "validation_error"


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "eventId": "evt-malformed",
        "type": "AccountChanged",
        "accountId": "001TEST000000001",
        "occurredAt": timezone.now().isoformat(),
        "changes": {"internetEligibilityStatus": "eligible"},
        **extra,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"note\u0000": "a NUL in a key the portal does not know"},
        {"note": "a NUL \u0000 in a value the portal does not know"},
        {"note": "an unpaired surrogate \ud800"},
        {"note": {"changes": "\u0000"}},
    ],
    ids=["nul-in-key", "nul-in-value", "lone-surrogate", "nul-nested"],
)
def test_an_event_carrying_text_no_database_stores_is_a_400(
    extra: dict[str, Any], client: Any, webhook_secret: None
) -> None:
    body = json.dumps(_event(**extra)).encode()  # ASCII, with \\u escapes: valid JSON
    response = post_event(client, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert not CrmEvent.objects.exists()


def test_an_event_nested_deeper_than_any_event_is_a_400(client: Any, webhook_secret: None) -> None:
    nested: Any = "deep"
    for _ in range(40):
        nested = {"more": nested}
    response = post_event(client, json.dumps(_event(extra=nested)).encode())
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


def test_keys_the_portal_does_not_know_are_still_accepted(
    client: Any, webhook_secret: None
) -> None:
    body = json.dumps(_event(extra={"Owner": {"Name": "Sales"}, "tags": ["a", 1, None]})).encode()
    response = post_event(client, body)
    assert response.status_code == 202
    assert CrmEvent.objects.get().payload["extra"] == {
        "Owner": {"Name": "Sales"},
        "tags": ["a", 1, None],
    }


def _operations_with_ids() -> list[tuple[str, str]]:
    """Every documented operation with an id in its path."""
    return sorted(
        (operation.method.upper(), operation.path)
        for operation in (result.ok() for result in schema.get_all_operations())
        if "_id}" in operation.path
    )


@pytest.mark.parametrize("number", [2**63, 10**22])
@pytest.mark.parametrize(("method", "path"), _operations_with_ids())
def test_an_id_too_large_for_the_database_is_not_found_never_a_500(
    api: Any, method: str, path: str, number: int
) -> None:
    """No row has it: a 404 (a 400 where the empty body is refused first)."""
    url = path.replace("{", "").replace("}", "")
    for name in {part.split("}")[0] for part in path.split("{")[1:]}:
        url = url.replace(name, str(number))
    response = api.generic(method, url, "{}", content_type="application/json")
    assert response.status_code in (400, 404), (url, response.content)
    assert response.json()["error"]["code"] in ("not_found", "validation_error")
