from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.http import Http404

from notifications.models import Notification
from outbox.models import OutboxMessage
from portal.api_errors import ApplicationError
from portal.celery import app as celery_app
from subscriptions import services
from subscriptions.models import CancellationRequest, Subscription
from tests.factories import CancellationRequestFactory, CustomerFactory, SubscriptionFactory
from tests.subscriptions.conftest import TOKYO, tokyo

pytestmark = pytest.mark.django_db

NOV_20 = tokyo(2026, 11, 20)


def _request(subscription: Subscription, **overrides: object) -> CancellationRequest:
    arguments: dict = {
        "customer": subscription.customer,
        "subscription_id": subscription.pk,
        "effective_on": date(2026, 11, 30),
        "reason": "moving",
        "comments": "",
        "now": NOV_20,
    }
    arguments.update(overrides)
    return services.request_cancellation(**arguments)


# --- Offered dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(
            tokyo(2026, 11, 1, 9),
            [date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31)],
            id="first-of-the-month",
        ),
        pytest.param(
            tokyo(2026, 11, 25, 23, 59),
            [date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31)],
            id="the-25th-still-offers-this-month",
        ),
        pytest.param(
            tokyo(2026, 11, 26, 0, 0),
            [date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)],
            id="the-26th-starts-with-next-month",
        ),
        pytest.param(
            tokyo(2026, 11, 30, 23, 59),
            [date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)],
            id="month-end",
        ),
        pytest.param(
            tokyo(2026, 12, 25, 18),
            [date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)],
            id="december-25th",
        ),
        pytest.param(
            tokyo(2026, 12, 26, 9),
            [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)],
            id="december-26th-crosses-the-year",
        ),
        pytest.param(
            tokyo(2026, 12, 31, 23, 59),
            [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)],
            id="year-end",
        ),
        pytest.param(
            tokyo(2027, 10, 31, 12),
            [date(2027, 11, 30), date(2027, 12, 31), date(2028, 1, 31)],
            id="late-october-runs-into-the-next-year",
        ),
        pytest.param(
            tokyo(2028, 1, 10),
            [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)],
            id="leap-february",
        ),
    ],
)
def test_offered_dates_are_three_month_ends_from_the_cut_off(now, expected):
    assert services.offered_effective_dates(now=now) == expected


def test_midnight_of_the_26th_in_tokyo_counts_as_the_26th_while_utc_is_still_on_the_25th():
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert now.astimezone(TOKYO).day == 26
    assert services.offered_effective_dates(now=now)[0] == date(2026, 12, 31)


def test_new_year_in_tokyo_is_january_while_utc_is_still_in_december():
    now = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    assert services.offered_effective_dates(now=now) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]


def test_the_25th_in_utc_is_already_the_26th_in_tokyo_late_in_the_evening():
    just_before = datetime(2026, 11, 25, 14, 59, tzinfo=UTC)
    assert services.offered_effective_dates(now=just_before)[0] == date(2026, 11, 30)


def test_options_list_every_reason_with_a_label():
    options = services.cancellation_options(now=NOV_20)
    codes = [code for code, _label in options.reasons]
    assert "moving" in codes and "other" in codes
    assert all(label for _code, label in options.reasons)


# --- Requesting ---------------------------------------------------------------------------


def test_request_schedules_the_cancellation(sim):
    cancellation = _request(sim, reason="switching_provider", comments="  Moving to a family plan ")
    sim.refresh_from_db()
    assert sim.status == "cancellation_scheduled"
    assert cancellation.status == "scheduled"
    assert cancellation.customer == sim.customer
    assert cancellation.effective_on == date(2026, 11, 30)
    assert cancellation.reason == "switching_provider"
    assert cancellation.comments == "Moving to a family plan"
    assert cancellation.requested_at == NOV_20


def test_request_notifies_the_customer_after_commit(sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cancellation = _request(sim)
        assert not Notification.objects.exists()
    assert not Notification.objects.exists()
    for callback in callbacks:
        callback()
    notification = Notification.objects.get()
    assert notification.user == sim.customer.user
    assert notification.type == "CANCELLATION_SCHEDULED"
    assert notification.source_id == str(cancellation.pk)
    assert notification.action_url == f"/account/services/{sim.pk}"
    assert "SIM Data 20GB" in notification.message
    assert "Nov. 30, 2026" in notification.message


def test_with_a_broker_the_notification_is_stored_in_the_outbox_with_the_request(
    sim, django_capture_on_commit_callbacks
):
    celery_app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=False):
            cancellation = _request(sim)
    finally:
        celery_app.conf.task_always_eager = True
    message = OutboxMessage.objects.get()
    assert message.task_name == "subscriptions.tasks.send_cancellation_scheduled_notification"
    assert message.args == [cancellation.pk]


def test_notification_speaks_the_readers_language(sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(sim)
    message = Notification.objects.get().rendered("ja").message
    assert "SIM データ 20GB" in message
    assert "2026年11月30日" in message


def test_running_the_notification_twice_notifies_once(sim):
    cancellation = _request(sim)
    services.notify_cancellation_scheduled(cancellation_request_id=cancellation.pk)
    services.notify_cancellation_scheduled(cancellation_request_id=cancellation.pk)
    assert Notification.objects.count() == 1


def test_a_cancellation_withdrawn_before_the_task_runs_is_not_announced(sim):
    cancellation = _request(sim)
    services.withdraw_cancellation(cancellation_request_id=cancellation.pk)
    assert services.notify_cancellation_scheduled(cancellation_request_id=cancellation.pk) is None
    assert list(Notification.objects.values_list("type", flat=True)) == ["CANCELLATION_WITHDRAWN"]


def test_a_date_that_is_not_offered_is_refused(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, effective_on=date(2026, 11, 29))
    assert refused.value.code == "validation_error"
    assert set(refused.value.fields or {}) == {"effectiveOn"}
    assert not CancellationRequest.objects.exists()


def test_this_months_end_is_refused_after_the_25th(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, effective_on=date(2026, 11, 30), now=tokyo(2026, 11, 26, 0, 1))
    assert set(refused.value.fields or {}) == {"effectiveOn"}


def test_a_fourth_month_end_is_refused(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, effective_on=date(2027, 2, 28))
    assert set(refused.value.fields or {}) == {"effectiveOn"}


def test_an_unknown_reason_is_refused(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, reason="bored")
    assert refused.value.code == "validation_error"
    assert set(refused.value.fields or {}) == {"reason"}


def test_comments_are_limited_in_length(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, comments="x" * (services.COMMENTS_MAX_LENGTH + 1))
    assert set(refused.value.fields or {}) == {"comments"}
    assert _request(sim, comments="x" * services.COMMENTS_MAX_LENGTH).comments


def test_every_invalid_field_is_reported_at_once(sim):
    with pytest.raises(ApplicationError) as refused:
        _request(sim, effective_on=date(2030, 1, 1), reason="", comments="x" * 5000)
    assert set(refused.value.fields or {}) == {"effectiveOn", "reason", "comments"}


def test_a_second_request_is_refused_and_creates_nothing(sim):
    _request(sim)
    with pytest.raises(ApplicationError) as refused:
        _request(sim, effective_on=date(2026, 12, 31))
    assert refused.value.code == "cancellation_already_scheduled"
    assert refused.value.status_code == 409
    assert CancellationRequest.objects.count() == 1


def test_the_database_constraint_refuses_a_second_scheduled_request_as_a_409(sim):
    # A subscription whose status is out of step with its requests (say, edited by hand):
    # the partial unique constraint still keeps one scheduled request, and no 500 escapes.
    CancellationRequestFactory(subscription=sim, status="scheduled")
    assert sim.status == "active"
    with pytest.raises(ApplicationError) as refused:
        _request(sim)
    assert refused.value.code == "cancellation_already_scheduled"
    assert CancellationRequest.objects.count() == 1
    sim.refresh_from_db()
    assert sim.status == "active"


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "subscription_cancelled"), ("suspended", "subscription_suspended")],
)
def test_an_ended_or_suspended_service_cannot_be_cancelled(sim, status, code):
    sim.status = status
    sim.save()
    with pytest.raises(ApplicationError) as refused:
        _request(sim)
    assert refused.value.code == code
    assert refused.value.status_code == 409
    assert not CancellationRequest.objects.exists()


def test_another_customers_subscription_is_not_found(sim, other_customer):
    with pytest.raises(Http404):
        _request(sim, customer=other_customer)
    assert not CancellationRequest.objects.exists()


def test_a_service_can_be_cancelled_again_after_a_withdrawal(sim):
    first = _request(sim)
    services.withdraw_cancellation(cancellation_request_id=first.pk)
    second = _request(sim, effective_on=date(2026, 12, 31))
    assert second.pk != first.pk
    assert CancellationRequest.objects.filter(status="scheduled").get() == second


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_schedule_exactly_one_cancellation():
    subscription = SubscriptionFactory(customer=CustomerFactory())
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        barrier.wait()
        try:
            _request(subscription)
            outcomes.append("scheduled")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["cancellation_already_scheduled"] * 3 + ["scheduled"]
    assert CancellationRequest.objects.filter(subscription=subscription).count() == 1


# --- Completion ---------------------------------------------------------------------------


def test_nothing_completes_on_the_last_day_itself(sim):
    _request(sim)
    assert services.complete_due_cancellations(now=tokyo(2026, 11, 30, 23, 59)) == 0
    sim.refresh_from_db()
    assert sim.status == "cancellation_scheduled"


def test_cancellations_complete_once_the_last_day_has_passed_in_tokyo(sim):
    cancellation = _request(sim)
    # 00:00 on December 1st in Tokyo, while UTC is still on November 30th.
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert services.complete_due_cancellations(now=now) == 1
    cancellation.refresh_from_db()
    sim.refresh_from_db()
    assert cancellation.status == "completed"
    assert cancellation.completed_at == now
    assert sim.status == "cancelled"
    assert sim.cancelled_at == tokyo(2026, 12, 1, 0, 0)


def test_completing_twice_changes_nothing(sim):
    cancellation = _request(sim)
    first_run = tokyo(2026, 12, 1, 0, 15)
    assert services.complete_due_cancellations(now=first_run) == 1
    assert services.complete_due_cancellations(now=tokyo(2026, 12, 2, 0, 15)) == 0
    assert services.complete_cancellation(cancellation_request_id=cancellation.pk) is False
    cancellation.refresh_from_db()
    assert cancellation.completed_at == first_run


def test_completion_leaves_withdrawn_and_future_requests_alone(sim, internet):
    withdrawn = _request(sim)
    services.withdraw_cancellation(cancellation_request_id=withdrawn.pk)
    future = _request(internet, effective_on=date(2026, 12, 31))
    assert services.complete_due_cancellations(now=tokyo(2026, 12, 1, 0, 15)) == 0
    sim.refresh_from_db()
    internet.refresh_from_db()
    assert sim.status == "active"
    assert internet.status == "cancellation_scheduled"
    future.refresh_from_db()
    assert future.status == "scheduled"


def test_a_late_run_completes_every_overdue_cancellation(sim, internet):
    _request(sim)
    _request(internet, effective_on=date(2026, 12, 31))
    assert services.complete_due_cancellations(now=tokyo(2027, 1, 3)) == 2
    assert set(Subscription.objects.values_list("status", flat=True)) == {"cancelled"}


# --- Withdrawal ---------------------------------------------------------------------------


def test_withdrawal_keeps_the_service_active(sim):
    cancellation = _request(sim)
    withdrawn = services.withdraw_cancellation(
        cancellation_request_id=cancellation.pk, now=tokyo(2026, 11, 21)
    )
    sim.refresh_from_db()
    assert withdrawn.status == "withdrawn"
    assert withdrawn.withdrawn_at == tokyo(2026, 11, 21)
    assert sim.status == "active"


def test_withdrawing_twice_is_harmless(sim):
    cancellation = _request(sim)
    services.withdraw_cancellation(cancellation_request_id=cancellation.pk, now=tokyo(2026, 11, 21))
    again = services.withdraw_cancellation(
        cancellation_request_id=cancellation.pk, now=tokyo(2026, 11, 22)
    )
    assert again.withdrawn_at == tokyo(2026, 11, 21)


def test_a_completed_cancellation_cannot_be_withdrawn(sim):
    cancellation = _request(sim)
    services.complete_due_cancellations(now=tokyo(2026, 12, 1, 1))
    with pytest.raises(ApplicationError) as refused:
        services.withdraw_cancellation(cancellation_request_id=cancellation.pk)
    assert refused.value.code == "cancellation_already_completed"
    sim.refresh_from_db()
    assert sim.status == "cancelled"


def test_withdrawing_an_unknown_request_is_not_found():
    with pytest.raises(ApplicationError) as refused:
        services.withdraw_cancellation(cancellation_request_id=987654)
    assert refused.value.code == "not_found"
