from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import VerificationStatus
from crm.models import CrmEvent, CrmEventState

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _stored_event(event_id, state, account_id="001NOBODY"):
    return CrmEvent.objects.create(
        event_id=event_id,
        type="AccountChanged",
        account_id=account_id,
        occurred_at=timezone.now(),
        payload={"changes": {"residenceCardStatus": "verified"}},
        raw_body="{}",
        received_at=timezone.now(),
        state=state,
        error="OperationalError: timeout" if state == "failed" else "",
    )


def test_staff_filter_events_by_state(staff_client):
    _stored_event("evt-failed", CrmEventState.FAILED)
    _stored_event("evt-done", CrmEventState.PROCESSED)
    response = staff_client.get("/admin/crm/crmevent/?state__exact=failed")
    assert response.status_code == 200
    assert b"evt-failed" in response.content
    assert b"evt-done" not in response.content


def test_an_event_page_shows_its_payload_and_error(staff_client):
    event = _stored_event("evt-failed", CrmEventState.FAILED)
    page = staff_client.get(f"/admin/crm/crmevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"OperationalError: timeout" in page.content
    assert b"residenceCardStatus" in page.content


def test_the_replay_action_processes_failed_and_unmatched_events_again(
    staff_client, customer, django_capture_on_commit_callbacks
):
    failed = _stored_event("evt-failed", CrmEventState.FAILED, customer.crm_account_id)
    unmatched = _stored_event("evt-unmatched", CrmEventState.UNMATCHED)
    done = _stored_event("evt-done", CrmEventState.PROCESSED)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/crm/crmevent/",
            {"action": "replay", "_selected_action": [failed.pk, unmatched.pk, done.pk]},
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    unmatched.refresh_from_db()
    done.refresh_from_db()
    assert failed.state == CrmEventState.PROCESSED
    assert unmatched.state == CrmEventState.UNMATCHED  # still nobody with that account
    assert unmatched.attempts == 1
    assert done.attempts == 0
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.VERIFIED


def test_events_cannot_be_added_or_deleted_in_the_admin(staff_client):
    event = _stored_event("evt-1", CrmEventState.PROCESSED)
    assert staff_client.get("/admin/crm/crmevent/add/").status_code == 403
    assert staff_client.get(f"/admin/crm/crmevent/{event.pk}/delete/").status_code == 403
