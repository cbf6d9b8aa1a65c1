"""Internet eligibility: the request, the result, and telling the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import EligibilityStatus
from eligibility.services import record_eligibility_result, request_internet_eligibility
from notifications.models import Notification
from portal.api_errors import ApplicationError
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


def _request(customer, postal_code="150-0002", address="1-2-3 Shibuya, Tokyo"):
    return request_internet_eligibility(
        customer=customer, postal_code=postal_code, address=address, now=NOW
    )


def _notifications(customer, type):
    return Notification.objects.filter(user=customer.user, type=type)


# --- Internet eligibility ---


FULL_WIDTH = "\uff11\uff15\uff10\uff0d\uff10\uff10\uff10\uff12"  # 150-0002 typed full width


@pytest.mark.parametrize(
    "typed", ["150-0002", "1500002", "〒150-0002", FULL_WIDTH, "150 0002", "150ー0002"]
)
def test_a_japanese_postal_code_is_stored_as_nnn_nnnn(customer, typed):
    eligibility = _request(customer, postal_code=typed)
    assert eligibility.postal_code == "150-0002"


@pytest.mark.parametrize("typed", ["", "150-002", "15000021", "ABC-DEFG", "150-00O2"])
def test_anything_but_seven_digits_is_refused_naming_the_postal_code(customer, typed):
    with pytest.raises(ApplicationError) as refused:
        _request(customer, postal_code=typed)
    assert refused.value.code == "validation_error"
    assert "postalCode" in refused.value.fields


def test_a_blank_address_is_refused(customer):
    with pytest.raises(ApplicationError) as refused:
        _request(customer, address="   ")
    assert refused.value.fields == {"address": ["Enter the address to check."]}


def test_a_request_is_pending_from_now(customer):
    eligibility = _request(customer, address="  1-2-3   Shibuya,  Tokyo ")
    eligibility.refresh_from_db()
    assert eligibility.status == EligibilityStatus.PENDING
    assert eligibility.address == "1-2-3 Shibuya, Tokyo"
    assert eligibility.requested_at == NOW
    assert eligibility.checked_at is None


def test_a_second_request_while_one_is_pending_is_refused(customer):
    _request(customer)
    with pytest.raises(ApplicationError) as refused:
        _request(customer, address="Another street 4")
    assert refused.value.code == "eligibility_check_pending"
    assert refused.value.status_code == 409
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.address == "1-2-3 Shibuya, Tokyo"


def test_after_an_answer_another_address_can_be_checked(customer):
    _request(customer)
    record_eligibility_result(
        customer=customer, status="ineligible", notes="No fiber in the building.", now=NOW
    )
    eligibility = _request(customer, address="4-5-6 Meguro, Tokyo")
    assert eligibility.status == EligibilityStatus.PENDING
    assert eligibility.notes == ""
    assert eligibility.checked_at is None


def test_a_result_sets_status_time_and_notes_and_tells_the_customer(customer):
    _request(customer)
    later = NOW + timedelta(days=1)
    eligibility = record_eligibility_result(
        customer=customer, status="eligible", notes=" Fiber reaches the building. ", now=later
    )
    eligibility.refresh_from_db()
    assert eligibility.status == EligibilityStatus.ELIGIBLE
    assert eligibility.checked_at == later
    assert eligibility.notes == "Fiber reaches the building."
    notification = _notifications(customer, "ELIGIBILITY_ELIGIBLE").get()
    assert notification.source_id == f"{eligibility.pk}:{later:%Y%m%dT%H%M%S%f}"
    assert "1-2-3 Shibuya, Tokyo" in notification.message


def test_an_ineligible_result_sends_the_ineligible_notification(customer):
    _request(customer)
    record_eligibility_result(customer=customer, status="ineligible", now=NOW)
    assert _notifications(customer, "ELIGIBILITY_INELIGIBLE").count() == 1
    assert not _notifications(customer, "ELIGIBILITY_ELIGIBLE").exists()


def test_setting_the_status_it_already_has_notifies_nobody(customer):
    record_eligibility_result(customer=customer, status="eligible", notes="a", now=NOW)
    later = NOW + timedelta(days=3)  # outside the dedupe window: only the rule can hold
    eligibility = record_eligibility_result(
        customer=customer, status="eligible", notes="Updated notes.", now=later
    )
    assert _notifications(customer, "ELIGIBILITY_ELIGIBLE").count() == 1
    eligibility.refresh_from_db()
    assert eligibility.notes == "Updated notes."
    assert eligibility.checked_at == NOW


def test_a_result_without_notes_keeps_the_notes_when_nothing_changes(customer):
    record_eligibility_result(customer=customer, status="eligible", notes="kept", now=NOW)
    eligibility = record_eligibility_result(customer=customer, status="eligible", now=NOW)
    assert eligibility.notes == "kept"


def test_eligible_ineligible_eligible_within_an_hour_tells_each_result(customer):
    for minutes, status in ((0, "eligible"), (10, "ineligible"), (20, "eligible")):
        record_eligibility_result(
            customer=customer, status=status, now=NOW + timedelta(minutes=minutes)
        )
    assert _notifications(customer, "ELIGIBILITY_ELIGIBLE").count() == 2
    assert _notifications(customer, "ELIGIBILITY_INELIGIBLE").get().retired_at is not None
    assert (
        _notifications(customer, "ELIGIBILITY_ELIGIBLE").filter(read_at__isnull=True).count() == 1
    )


def test_a_result_without_an_address_reads_your_address_in_each_language():
    customer = CustomerFactory(crm_account_id=None)
    record_eligibility_result(customer=customer, status="eligible", now=NOW)
    notification = _notifications(customer, "ELIGIBILITY_ELIGIBLE").get()
    assert "your address" in notification.rendered("en").message


@pytest.mark.parametrize("status", ["pending", "not_requested", "maybe"])
def test_only_eligible_or_ineligible_is_a_result(customer, status):
    with pytest.raises(ApplicationError) as refused:
        record_eligibility_result(customer=customer, status=status, now=NOW)
    assert refused.value.code == "validation_error"


def test_a_customer_without_gate_rows_gets_them_on_first_use():
    customer = CustomerFactory()
    customer.internet_eligibility.delete()
    customer.refresh_from_db()
    assert _request(customer).status == EligibilityStatus.PENDING
