"""A Salesforce Account event reaching a demo customer, end to end, also under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Customer, VerificationStatus
from crm.models import CrmEvent, CrmEventState
from dashboard.demo import REJECTED, load_demo_data
from dashboard.services import build_me_status
from notifications.models import Notification
from tests.crm.support import WEBHOOK_SECRET, event_body, post_event

DELIVERIES = 8


@pytest.fixture
def rejected_persona(settings) -> Customer:
    settings.CRM_WEBHOOK_SECRET = WEBHOOK_SECRET
    load_demo_data()
    customer = Customer.objects.get(crm_account_id=REJECTED.crm_account_id)
    assert customer.residence_card_verification.status == VerificationStatus.REJECTED
    assert "idv_rejected" in _task_ids(customer)
    return customer


def _task_ids(customer: Customer) -> list[str]:
    customer = Customer.objects.get(pk=customer.pk)  # fresh gates, as a new request reads them
    return [task.id for task in build_me_status(customer=customer, now=timezone.now()).tasks]


def _verified_event(event_id: str) -> bytes:
    return event_body(
        account_id="001DEMO000000003",
        event_id=event_id,
        changes={"residenceCardStatus": "verified"},
    )


def _assert_verified_once(customer: Customer, event_id: str) -> None:
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.VERIFIED
    assert customer.residence_card_verification.rejection_reason == ""
    notifications = Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED")
    assert notifications.count() == 1
    assert notifications.get().source_id.startswith(f"{customer.residence_card_verification.pk}:")
    event = CrmEvent.objects.get(event_id=event_id)
    assert event.state == CrmEventState.PROCESSED
    assert event.attempts == 1
    tasks = _task_ids(customer)
    assert "idv_rejected" not in tasks
    assert "eligibility_pending" in tasks  # the rest of the persona is untouched


@pytest.mark.django_db
def test_a_signed_event_verifies_the_rejected_demo_customer(
    rejected_persona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(APIClient(), _verified_event("evt-demo-1"))
    assert response.status_code == 202
    _assert_verified_once(rejected_persona, "evt-demo-1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_deliveries_verify_once_and_notify_once(rejected_persona):
    body = _verified_event("evt-demo-concurrent")
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            client = APIClient()
            start.wait(timeout=30)
            statuses.append(post_event(client, body).status_code)
        except BaseException as error:  # surfaced below: a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(statuses) == [200] * (DELIVERIES - 1) + [202]
    assert CrmEvent.objects.filter(event_id="evt-demo-concurrent").count() == 1
    _assert_verified_once(rejected_persona, "evt-demo-concurrent")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_events_with_the_same_change_at_once_notify_once(rejected_persona):
    start = threading.Barrier(DELIVERIES)
    statuses: list[int] = []

    def deliver(n: int) -> None:
        try:
            client = APIClient()
            start.wait(timeout=30)
            statuses.append(post_event(client, _verified_event(f"evt-demo-{n}")).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [202] * DELIVERIES
    rejected_persona.residence_card_verification.refresh_from_db()
    assert rejected_persona.residence_card_verification.status == VerificationStatus.VERIFIED
    assert (
        Notification.objects.filter(
            user=rejected_persona.user, type="VERIFICATION_VERIFIED"
        ).count()
        == 1
    )
    assert set(CrmEvent.objects.values_list("state", flat=True)) == {CrmEventState.PROCESSED}
