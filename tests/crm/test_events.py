from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import VerificationStatus
from crm import services, tasks
from crm.models import CrmEvent, CrmEventState
from crm.parsers import ParsedEvent
from notifications.models import Notification
from portal.celery import app as celery_app
from tests.factories import CustomerFactory
from tests.reliability.support import database_fails_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries():
    """Let an eager task retry in-process, as the settings do when no broker is configured."""
    celery_app.conf.task_eager_propagates = False


NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


def _event(account_id, changes, *, event_id="evt-1", occurred_at=NOW, state="received"):
    payload = {
        "eventId": event_id,
        "type": "AccountChanged",
        "accountId": account_id,
        "occurredAt": occurred_at.isoformat(),
        "changes": changes,
    }
    return CrmEvent.objects.create(
        event_id=event_id,
        type="AccountChanged",
        account_id=account_id,
        occurred_at=occurred_at,
        payload=payload,
        raw_body="{}",
        received_at=NOW,
        state=state,
    )


def _verified_count(customer):
    return Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED").count()


def test_receiving_an_event_twice_stores_it_once(django_capture_on_commit_callbacks):
    event = ParsedEvent(
        event_id="evt-9",
        type="AccountChanged",
        account_id="001UNKNOWN",
        occurred_at=NOW,
        payload={"changes": {}},
        raw_body="{}",
    )
    with django_capture_on_commit_callbacks() as queued:
        first, created = services.receive_crm_event(event=event, now=NOW)
        again, created_again = services.receive_crm_event(event=event, now=NOW)
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert len(queued) == 1  # only the first delivery enqueues processing


def test_processing_twice_applies_once(customer):
    event = _event(customer.crm_account_id, {"residenceCardStatus": "verified"})
    services.process_crm_event(crm_event_id=event.pk, now=NOW)
    services.process_crm_event(crm_event_id=event.pk, now=NOW + timedelta(hours=2))
    event.refresh_from_db()
    assert event.state == CrmEventState.PROCESSED
    assert event.attempts == 1
    assert event.processed_at == NOW
    assert "verified" in event.outcome
    assert _verified_count(customer) == 1


def test_processing_an_event_that_no_longer_exists_does_nothing():
    assert services.process_crm_event(crm_event_id=123456, now=NOW) is None


def test_a_change_a_rule_refuses_fails_at_once_without_retrying(customer):
    # Stored by an older version of the webhook, say: a rejection without a reason.
    event = _event(customer.crm_account_id, {"residenceCardStatus": "rejected"})
    tasks.process_crm_event_task.delay(event.pk)
    event.refresh_from_db()
    assert event.state == CrmEventState.FAILED
    assert event.attempts == 1
    assert "rejected" in event.error
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


def test_a_refused_change_rolls_back_the_other_change_of_the_same_event(customer):
    event = _event(
        customer.crm_account_id,
        {"internetEligibilityStatus": "eligible", "residenceCardStatus": "rejected"},
    )
    services.process_crm_event(crm_event_id=event.pk, now=NOW)
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == "not_requested"
    assert not Notification.objects.filter(user=customer.user).exists()


def test_a_failing_event_is_retried_then_kept_as_failed_with_its_error(customer, eager_retries):
    event = _event(customer.crm_account_id, {"residenceCardStatus": "verified"})
    with database_fails_on("accounts_residencecardverification") as failed:
        tasks.process_crm_event_task.delay(event.pk)
    assert len(failed) == tasks.CRM_EVENT_MAX_RETRIES + 1
    event.refresh_from_db()
    assert event.state == CrmEventState.FAILED
    assert event.attempts == tasks.CRM_EVENT_MAX_RETRIES + 1
    assert event.error == ("OperationalError: terminating connection due to administrator command")
    assert event.processed_at is not None
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


def test_a_failure_that_clears_up_is_applied_on_a_retry(customer, eager_retries):
    event = _event(customer.crm_account_id, {"residenceCardStatus": "verified"})
    with database_fails_on("accounts_residencecardverification", times=1) as failed:
        tasks.process_crm_event_task.delay(event.pk)
    assert len(failed) == 1
    event.refresh_from_db()
    assert event.state == CrmEventState.PROCESSED
    assert event.attempts == 2
    assert event.error == ""
    assert _verified_count(customer) == 1


def test_retries_back_off_exponentially_up_to_an_hour():
    delays = [tasks.crm_event_retry_delay(n) for n in range(tasks.CRM_EVENT_MAX_RETRIES + 2)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays == sorted(delays)
    assert max(delays) <= 3600


def test_an_unmatched_event_applies_once_replayed_after_the_account_is_linked(
    django_capture_on_commit_callbacks,
):
    event = _event("001LATERLINKED01", {"residenceCardStatus": "verified"})
    services.process_crm_event(crm_event_id=event.pk, now=NOW)
    event.refresh_from_db()
    assert event.state == CrmEventState.UNMATCHED
    customer = CustomerFactory(crm_account_id="001LATERLINKED01")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.replay_crm_events(crm_event_ids=[event.pk]) == 1
    event.refresh_from_db()
    assert event.state == CrmEventState.PROCESSED
    assert event.customer == customer
    assert _verified_count(customer) == 1


def test_replaying_leaves_processed_events_alone(customer, django_capture_on_commit_callbacks):
    event = _event(customer.crm_account_id, {"residenceCardStatus": "verified"})
    services.process_crm_event(crm_event_id=event.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert services.replay_crm_events(crm_event_ids=[event.pk]) == 0
    assert queued == []
    assert _verified_count(customer) == 1


def test_an_older_event_arriving_late_does_not_undo_a_newer_one(customer):
    newer = _event(
        customer.crm_account_id,
        {"residenceCardStatus": "verified"},
        event_id="evt-new",
        occurred_at=NOW,
    )
    older = _event(
        customer.crm_account_id,
        {"residenceCardStatus": "rejected", "residenceCardRejectionReason": "Blurry."},
        event_id="evt-old",
        occurred_at=NOW - timedelta(minutes=5),
    )
    services.process_crm_event(crm_event_id=newer.pk, now=NOW)
    services.process_crm_event(crm_event_id=older.pk, now=NOW)
    older.refresh_from_db()
    assert older.state == CrmEventState.PROCESSED
    assert "skipped" in older.outcome
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.VERIFIED
    assert not Notification.objects.filter(type="VERIFICATION_REJECTED").exists()


def test_an_event_without_changes_the_portal_acts_on_is_processed(customer):
    event = _event(customer.crm_account_id, {"billingCity": "Osaka"})
    services.process_crm_event(crm_event_id=event.pk, now=NOW)
    event.refresh_from_db()
    assert event.state == CrmEventState.PROCESSED
    assert event.outcome == "No change the portal acts on."


def test_between_attempts_an_event_stays_received_and_shows_its_last_error(customer):
    event = _event(customer.crm_account_id, {"residenceCardStatus": "verified"})
    services.record_crm_event_failure(
        crm_event_id=event.pk, error="OperationalError: timeout", final=False, now=NOW
    )
    event.refresh_from_db()
    assert (event.state, event.attempts, event.error) == (
        CrmEventState.RECEIVED,
        1,
        "OperationalError: timeout",
    )
