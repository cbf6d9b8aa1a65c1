"""The billing provider fails, hangs or talks nonsense: the dashboard still answers, with
`paymentMethods.totalCount` null, and the web process does not pile up work for it.

Already proven elsewhere and not repeated here: a failing provider gives null and keeps the
rest of the snapshot (tests/dashboard/test_services.py), a provider slower than its
timeout gives null (same file), the API answers 200 with null when the provider fails
(tests/dashboard/test_api.py) and the page explains it (tests/dashboard/test_views.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from billing import providers
from tests.dashboard.providers import HangingProvider
from tests.factories import InvoiceFactory, SubscriptionFactory
from tests.reliability.providers import (
    BrokenConnectionProvider,
    NonsenseProvider,
    RecordingHangingProvider,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging(settings: Any) -> Iterator[None]:
    settings.BILLING_PROVIDER = "tests.dashboard.providers.HangingProvider"
    settings.BILLING_PROVIDER_TIMEOUT_SECONDS = 0.05
    HangingProvider.release.clear()
    yield
    HangingProvider.release.set()


def test_me_status_answers_with_a_null_count_while_the_provider_hangs(api, customer, hanging):
    SubscriptionFactory(customer=customer)
    invoice = InvoiceFactory(customer=customer)
    response = api.get("/api/me/status")
    assert response.status_code == 200
    body = response.json()
    assert body["paymentMethods"] == {"totalCount": None}
    assert body["summary"]["nextInvoice"]["id"] == invoice.pk
    assert "add_payment_method" not in [task["type"] for task in body["tasks"]]


def test_the_dashboard_page_answers_while_the_provider_hangs(browser_client, customer, hanging):
    SubscriptionFactory(customer=customer)
    response = browser_client.get("/account/")
    assert response.status_code == 200
    assert "We could not load your payment methods just now." in response.content.decode()


def test_a_broken_connection_to_the_provider_gives_a_null_count(api, settings, caplog):
    settings.BILLING_PROVIDER = "tests.reliability.providers.BrokenConnectionProvider"
    response = api.get("/api/me/status")
    assert response.status_code == 200
    assert response.json()["paymentMethods"] == {"totalCount": None}
    assert "Billing provider failed" in caplog.text
    assert BrokenConnectionProvider.in_process is False  # it ran under the timeout


@pytest.mark.parametrize("answer", [None, -1, "3", True, 2.5, {"count": 3}])
def test_an_answer_that_is_not_a_count_gives_a_null_count(api, settings, answer):
    settings.BILLING_PROVIDER = "tests.reliability.providers.NonsenseProvider"
    NonsenseProvider.answer = answer
    response = api.get("/api/me/status")
    assert response.status_code == 200
    assert response.json()["paymentMethods"] == {"totalCount": None}


def test_reads_during_a_hang_do_not_queue_up_calls_to_the_provider(api, settings):
    settings.BILLING_PROVIDER = "tests.reliability.providers.RecordingHangingProvider"
    settings.BILLING_PROVIDER_TIMEOUT_SECONDS = 0.05
    RecordingHangingProvider.calls = 0
    RecordingHangingProvider.release.clear()
    threads = providers._executor._max_workers
    try:
        for _ in range(threads + 22):
            body = api.get("/api/me/status").json()
            assert body["paymentMethods"] == {"totalCount": None}
    finally:
        RecordingHangingProvider.release.set()
    # Everything queued before this marker has been started (or skipped) once it has run.
    providers._executor.submit(lambda: None).result(timeout=30)
    # One call per thread hung on the provider; the later reads gave up without calling.
    assert RecordingHangingProvider.calls <= threads
