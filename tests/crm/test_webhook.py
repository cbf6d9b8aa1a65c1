from __future__ import annotations

import json

import pytest

from accounts.models import EligibilityStatus, VerificationStatus
from crm.models import CrmEvent, CrmEventState
from notifications.models import Notification
from tests.crm.support import EVENTS_URL, event_body, post_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(anonymous_api, django_capture_on_commit_callbacks):
    """Deliver an event as the CRM does and run what it enqueues on commit."""

    def deliver(body: bytes, signature: str | None = "sign"):
        with django_capture_on_commit_callbacks(execute=True):
            return post_event(anonymous_api, body, signature)

    return deliver


def _verified(customer, event_id="evt-1"):
    return event_body(
        account_id=customer.crm_account_id,
        event_id=event_id,
        changes={"residenceCardStatus": "verified"},
    )


# --- The signature ---


def test_a_correctly_signed_event_is_accepted_with_202(deliver, customer):
    response = deliver(_verified(customer))
    assert response.status_code == 202
    assert response.json() == {"eventId": "evt-1", "state": "received"}


def test_a_missing_signature_is_a_401_and_stores_nothing(deliver, customer):
    response = deliver(_verified(customer), signature=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not CrmEvent.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha256=",
        "garbage",
        "sha1=abc",
        "sha256=ｆｆ",  # non-ASCII must not crash the comparison  # noqa: RUF001
    ],
)
def test_a_wrong_signature_is_a_401(deliver, customer, signature):
    response = deliver(_verified(customer), signature=signature)
    assert response.status_code == 401
    assert not CrmEvent.objects.exists()


def test_a_signature_made_with_another_secret_is_a_401(deliver, customer):
    body = _verified(customer)
    response = deliver(body, signature=sign(body, secret="not-the-secret"))
    assert response.status_code == 401


def test_a_signature_of_a_different_body_is_a_401(deliver, customer):
    signed = _verified(customer)
    tampered = signed.replace(b"verified", b"rejected")
    response = deliver(tampered, signature=sign(signed))
    assert response.status_code == 401


def test_without_a_configured_secret_every_event_is_refused(deliver, customer, settings):
    settings.CRM_WEBHOOK_SECRET = ""
    body = _verified(customer)
    response = deliver(body, signature=sign(body, secret=""))
    assert response.status_code == 401
    assert not CrmEvent.objects.exists()


@pytest.mark.parametrize(
    "near_miss",
    [
        lambda right: right[:-1] + ("0" if right[-1] != "0" else "1"),  # the last digit wrong
        lambda right: right[:-1],  # one digit short
        lambda right: right + "0",  # one digit too many
        lambda right: " " + right[:-1] + "\u00e9",  # the same length, one character not hex
    ],
    ids=["last-digit", "short", "long", "non-hex"],
)
def test_a_signature_that_is_almost_right_is_a_401(deliver, customer, near_miss):
    body = _verified(customer)
    response = deliver(body, signature=near_miss(sign(body)))
    assert response.status_code == 401
    assert not CrmEvent.objects.exists()


def test_the_signature_is_checked_before_the_body_is_parsed(deliver):
    response = deliver(b"{not json", signature="sha256=" + "0" * 64)
    assert response.status_code == 401


def test_an_upper_case_hex_signature_is_accepted(deliver, customer):
    body = _verified(customer)
    assert deliver(body, signature=sign(body).upper()).status_code == 202


def test_session_or_token_credentials_are_neither_needed_nor_enough(api, customer):
    response = post_event(api, _verified(customer), signature=None)
    assert response.status_code == 401


# --- Size and shape ---


def test_a_body_over_the_limit_is_refused_before_anything_else(deliver, customer, settings):
    settings.CRM_WEBHOOK_MAX_BODY_BYTES = 200
    body = event_body(
        account_id=customer.crm_account_id,
        changes={"internetEligibilityStatus": "eligible", "internetEligibilityNotes": "x" * 300},
    )
    response = deliver(body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not CrmEvent.objects.exists()


def test_malformed_json_is_a_400(deliver):
    response = deliver(b'{"eventId": "evt-1",')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_body_that_is_not_an_object_is_a_400(deliver):
    assert deliver(b"[1, 2, 3]").status_code == 400


def test_a_body_that_is_not_utf8_is_a_400(deliver):
    assert deliver(b'{"eventId": "\xff\xfe"}').status_code == 400


@pytest.mark.parametrize("missing", ["eventId", "type", "accountId", "occurredAt", "changes"])
def test_a_missing_field_is_a_400_naming_it(deliver, customer, missing):
    payload = json.loads(_verified(customer))
    del payload[missing]
    response = deliver(json.dumps(payload).encode())
    assert response.status_code == 400
    assert missing in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "changes",
    [
        {"residenceCardStatus": "pending"},
        {"internetEligibilityStatus": "maybe"},
        {"residenceCardStatus": "rejected"},
        {"residenceCardStatus": "rejected", "residenceCardRejectionReason": "  "},
    ],
)
def test_a_change_outside_the_contract_is_a_400(deliver, customer, changes):
    body = event_body(account_id=customer.crm_account_id, changes=changes)
    response = deliver(body)
    assert response.status_code == 400
    assert "changes" in response.json()["error"]["fields"]


def test_an_unknown_event_type_is_a_400(deliver, customer):
    body = event_body(account_id=customer.crm_account_id, changes={}, type="AccountDeleted")
    assert deliver(body).status_code == 400


def test_only_post_is_allowed(anonymous_api):
    assert anonymous_api.get(EVENTS_URL).status_code == 405


# --- Storing and applying ---


def test_an_event_is_stored_with_its_raw_body_and_applied(deliver, customer):
    body = _verified(customer)
    deliver(body)
    event = CrmEvent.objects.get()
    assert event.raw_body == body.decode()
    assert event.payload == json.loads(body)
    assert event.account_id == customer.crm_account_id
    assert event.state == CrmEventState.PROCESSED
    assert event.customer == customer
    assert event.attempts == 1
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.VERIFIED
    assert (
        Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED").count() == 1
    )


def test_an_eligibility_event_sets_the_result_and_its_notes(deliver, customer):
    body = event_body(
        account_id=customer.crm_account_id,
        changes={
            "internetEligibilityStatus": "ineligible",
            "internetEligibilityNotes": "The building has no fiber yet.",
        },
    )
    deliver(body)
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.INELIGIBLE
    assert customer.internet_eligibility.notes == "The building has no fiber yet."
    assert Notification.objects.filter(user=customer.user, type="ELIGIBILITY_INELIGIBLE").exists()


def test_a_rejection_event_carries_its_reason_to_the_customer(deliver, customer):
    body = event_body(
        account_id=customer.crm_account_id,
        changes={
            "residenceCardStatus": "rejected",
            "residenceCardRejectionReason": "The card has expired.",
        },
    )
    deliver(body)
    verification = customer.residence_card_verification
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.REJECTED
    assert verification.rejection_reason == "The card has expired."
    assert verification.reviewed_by is None


def test_null_changes_mean_unchanged(deliver, customer):
    body = event_body(
        account_id=customer.crm_account_id,
        changes={"internetEligibilityStatus": None, "residenceCardStatus": "verified"},
    )
    assert deliver(body).status_code == 202
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED


def test_a_replayed_event_is_a_200_and_changes_nothing_more(deliver, customer):
    body = _verified(customer)
    assert deliver(body).status_code == 202
    replay = deliver(body)
    assert replay.status_code == 200
    assert replay.json() == {"eventId": "evt-1", "state": "processed"}
    assert CrmEvent.objects.count() == 1
    assert CrmEvent.objects.get().attempts == 1
    assert (
        Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED").count() == 1
    )


def test_an_unknown_account_is_accepted_and_recorded_as_unmatched(deliver, customer):
    body = event_body(account_id="001UNKNOWN0000099", changes={"residenceCardStatus": "verified"})
    response = deliver(body)
    assert response.status_code == 202
    event = CrmEvent.objects.get()
    assert event.state == CrmEventState.UNMATCHED
    assert event.customer is None
    assert not Notification.objects.exists()


def test_an_event_for_one_customer_leaves_another_alone(deliver, customer, other_customer):
    deliver(_verified(customer))
    other_customer.residence_card_verification.refresh_from_db()
    assert other_customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED
    assert not Notification.objects.filter(user=other_customer.user).exists()


# --- Numbers JSON does not have, and clocks far ahead ---


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_an_event_with_a_number_json_does_not_have_is_a_400(deliver, customer, number):
    text = _verified(customer).decode().replace('"changes": {', f'"score": {number}, "changes": {{')
    response = deliver(text.encode())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not CrmEvent.objects.exists()


def test_an_event_from_far_in_the_future_is_refused(deliver, customer):
    from datetime import timedelta

    from django.utils import timezone

    ahead = (timezone.now() + timedelta(minutes=10)).isoformat()
    body = event_body(
        account_id=customer.crm_account_id,
        occurred_at=ahead,
        changes={"residenceCardStatus": "verified"},
    )
    response = deliver(body)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["occurredAt"]
    assert not CrmEvent.objects.exists()


def test_an_event_a_little_ahead_of_our_clock_is_accepted(deliver, customer):
    from datetime import timedelta

    from django.utils import timezone

    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()
    body = event_body(
        account_id=customer.crm_account_id,
        occurred_at=ahead,
        changes={"residenceCardStatus": "verified"},
    )
    assert deliver(body).status_code == 202


# --- The card's expiry (residenceCardExpiresOn) ---


def _verified_until(customer, expires_on, *, event_id="evt-1", occurred_at=None):
    return event_body(
        account_id=customer.crm_account_id,
        event_id=event_id,
        occurred_at=occurred_at,
        changes={"residenceCardStatus": "verified", "residenceCardExpiresOn": expires_on},
    )


def test_a_card_verified_through_the_crm_keeps_its_expiry_and_gets_its_reminders(deliver, customer):
    from datetime import timedelta

    from django.utils import timezone

    from portal.dates import tokyo_today
    from verification.services.reminders import send_residence_card_expiring_reminders

    expires_on = tokyo_today() + timedelta(days=60)
    assert deliver(_verified_until(customer, expires_on.isoformat())).status_code == 202
    verification = customer.residence_card_verification
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.card_expires_on == expires_on
    assert CrmEvent.objects.get().outcome == (
        f"Residence card set to verified, expiring on {expires_on.isoformat()}."
    )

    assert send_residence_card_expiring_reminders(now=timezone.now()) == 1
    (reminder,) = Notification.objects.filter(user=customer.user, type="RESIDENCE_CARD_EXPIRING")
    assert reminder.context["days_before"] == 60


def test_a_renewed_card_moves_its_expiry_without_telling_the_customer_again(deliver, customer):
    from datetime import timedelta

    from django.utils import timezone

    from portal.dates import tokyo_today

    first = tokyo_today() + timedelta(days=20)
    renewed = first + timedelta(days=3 * 365)
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    deliver(_verified_until(customer, first.isoformat(), occurred_at=earlier))
    deliver(_verified_until(customer, renewed.isoformat(), event_id="evt-2"))
    verification = customer.residence_card_verification
    verification.refresh_from_db()
    assert verification.card_expires_on == renewed
    assert (
        Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED").count() == 1
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"residenceCardExpiresOn": "2030-04-30"},
        {
            "residenceCardStatus": "rejected",
            "residenceCardRejectionReason": "The photo is blurred.",
            "residenceCardExpiresOn": "2030-04-30",
        },
        {"residenceCardStatus": "verified", "residenceCardExpiresOn": "30/04/2030"},
        {"residenceCardStatus": "verified", "residenceCardExpiresOn": 20300430},
    ],
)
def test_an_expiry_without_a_verification_or_not_a_date_is_a_400(deliver, customer, changes):
    response = deliver(event_body(account_id=customer.crm_account_id, changes=changes))
    assert response.status_code == 400
    assert "changes" in response.json()["error"]["fields"]
    assert not CrmEvent.objects.exists()


def test_a_card_verified_with_an_expiry_already_past_is_not_verified(deliver, customer):
    from datetime import timedelta

    from portal.dates import tokyo_today

    past = tokyo_today() - timedelta(days=1)
    assert deliver(_verified_until(customer, past.isoformat())).status_code == 202
    event = CrmEvent.objects.get()
    assert event.state == CrmEventState.FAILED
    assert "expired" in event.error
    verification = customer.residence_card_verification
    verification.refresh_from_db()
    assert verification.status != VerificationStatus.VERIFIED
