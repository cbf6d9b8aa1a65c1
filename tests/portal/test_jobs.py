"""The periodic jobs: one registry for beat and `run_job`, each job safe to run twice for
the same moment, and `run_job NAME --at` doing what beat would have done then."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
import redis
import time_machine
from celery import Celery
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import Customer, ResidenceCardVerification
from billing.models import BillingRun, Invoice
from notifications.models import Announcement, Notification
from notifications.services.notify import notify
from outbox import services as outbox_services
from outbox.models import OutboxMessage
from portal.celery import app as celery_app
from portal.dates import TOKYO
from portal.jobs import did_nothing, get_job, registered_jobs
from tests.factories import (
    CancellationRequestFactory,
    InvoiceFactory,
    NotificationFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
)
from tests.notifications.samples import SAMPLE_CONTEXTS

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=TOKYO)


# --- One registry ---------------------------------------------------------------------------


def test_every_beat_entry_runs_the_task_of_a_registered_job_and_every_job_is_on_beat():
    beat_tasks = sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
    job_tasks = sorted(job.task for job in registered_jobs())
    assert beat_tasks == job_tasks


def test_every_job_names_a_task_celery_knows():
    celery_app.loader.import_default_modules()  # the apps' tasks modules, as a worker does
    for job in registered_jobs():
        assert job.task in celery_app.tasks, job.name


def test_the_billing_run_is_on_beat_on_the_first_at_six_in_tokyo():
    entry = settings.CELERY_BEAT_SCHEDULE["billing-run"]
    assert entry["task"] == get_job("billing_run").task
    schedule = entry["schedule"]
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {6}, {0})
    assert settings.CELERY_TIMEZONE == "Asia/Tokyo"


# --- Twice for the same moment ---------------------------------------------------------------


def _invoice_due(customer: Customer) -> None:
    InvoiceFactory(customer=customer, issued_on=date(2026, 11, 20), due_date=date(2026, 12, 4))


def _card_expiring(customer: Customer) -> None:
    PaymentMethodFactory(customer=customer, is_default=True, exp_month=12, exp_year=2026)


def _residence_card_expiring(customer: Customer) -> None:
    ResidenceCardVerification.objects.filter(customer=customer).update(
        status="verified", card_expires_on=date(2026, 12, 31)
    )


def _notified_a_while_ago(customer: Customer) -> None:
    """An email and a push recorded 20 minutes ago whose tasks never ran (lost)."""
    from notifications.devices import register_device

    register_device(user=customer.user, platform="ios", token="device-token-1", now=NOW)
    notify(
        user=customer.user,
        type="ORDER_ACTIVATED",
        source_id="ORD-1",
        context=SAMPLE_CONTEXTS["ORDER_ACTIVATED"],
        now=NOW - timedelta(minutes=20),
    )


def _expired_notification(customer: Customer) -> None:
    NotificationFactory(
        user=customer.user, created_at=NOW - timedelta(days=70), expires_at=NOW - timedelta(days=31)
    )


def _due_announcement(customer: Customer) -> None:
    Announcement.objects.create(
        title="Maintenance", message="Tonight.", status="scheduled", scheduled_for=NOW
    )


def _pending_outbox_message(customer: Customer) -> None:
    message = OutboxMessage.objects.create(task_name="tests.jobs.nothing", args=[])
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=NOW - timedelta(minutes=5))


def _stopped_billing_run(customer: Customer) -> None:
    run = BillingRun.objects.create(period_start=date(2026, 10, 1), started_at=NOW)
    BillingRun.objects.filter(pk=run.pk).update(updated_at=NOW - timedelta(hours=1))


def _old_sent_outbox_message(customer: Customer) -> None:
    OutboxMessage.objects.create(task_name="tests.jobs.nothing", sent_at=NOW - timedelta(days=8))


def _cancellation_due(customer: Customer) -> None:
    subscription = SubscriptionFactory(customer=customer, status="cancellation_scheduled")
    CancellationRequestFactory(subscription=subscription, effective_on=date(2026, 11, 30))


def _billable_service(customer: Customer) -> None:
    SubscriptionFactory(customer=customer, activated_at=NOW - timedelta(days=60))


def _invoice_due_today_with_a_card(customer: Customer) -> None:
    PaymentMethodFactory(customer=customer, is_default=True)
    InvoiceFactory(customer=customer, issued_on=date(2026, 11, 1), due_date=date(2026, 12, 1))


def _invoice_unpaid_for_two_weeks(customer: Customer) -> None:
    SubscriptionFactory(customer=customer)
    InvoiceFactory(customer=customer, issued_on=date(2026, 11, 1), due_date=date(2026, 11, 17))


# What gives each job something to do at NOW. A job added without a scenario fails below.
SCENARIOS: dict[str, Callable[[Customer], None]] = {
    "billing_run": _billable_service,
    "collect_payments": _invoice_due_today_with_a_card,
    "complete_due_cancellations": _cancellation_due,
    "dispatch_outbox": _pending_outbox_message,
    "invoice_due_reminders": _invoice_due,
    "payment_method_expiring_reminders": _card_expiring,
    "purge_expired_notifications": _expired_notification,
    "purge_sent_outbox": _old_sent_outbox_message,
    "queue_due_announcements": _due_announcement,
    "residence_card_expiring_reminders": _residence_card_expiring,
    "suspend_overdue": _invoice_unpaid_for_two_weeks,
    "retry_notification_emails": _notified_a_while_ago,
    "retry_push_notifications": _notified_a_while_ago,
    "sweep_unfinished_work": _stopped_billing_run,
}


def test_every_job_has_a_scenario_here():
    assert sorted(SCENARIOS) == [job.name for job in registered_jobs()]


@pytest.fixture
def private_broker_queue(monkeypatch):
    """The outbox publishes to the real broker, into a queue of this test's own."""
    broker_url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
    queue = f"jobs-test-{os.getpid()}"
    app = Celery("jobs-test", set_as_current=False)
    app.conf.broker_write_url = broker_url
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    app.conf.task_default_queue = queue
    monkeypatch.setattr(outbox_services, "app", app)
    client = redis.Redis.from_url(broker_url)
    yield
    client.delete(queue)
    client.close()


def _run(name: str, capture: Callable) -> object:
    job = get_job(name)
    assert job is not None
    # What the job enqueues runs too (in-process), as a worker would run it.
    with capture(execute=True):
        return job.run(NOW)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.redis] if name == "dispatch_outbox" else [])
        for name in sorted(SCENARIOS)
    ],
)
def test_a_job_run_twice_for_the_same_moment_does_nothing_the_second_time(
    name, customer, django_capture_on_commit_callbacks, request
):
    if name == "dispatch_outbox":
        request.getfixturevalue("private_broker_queue")
    SCENARIOS[name](customer)
    first = _run(name, django_capture_on_commit_callbacks)
    assert not did_nothing(first), f"{name} found nothing to do the first time: {first}"
    second = _run(name, django_capture_on_commit_callbacks)
    assert did_nothing(second), f"{name} did something again: {second}"


# --- run_job --------------------------------------------------------------------------------


def _run_job(*args: str) -> str:
    out = StringIO()
    call_command("run_job", *args, stdout=out)
    return out.getvalue()


def test_run_job_lists_every_job_with_its_schedule():
    listed = _run_job("--list")
    for job in registered_jobs():
        assert job.name in listed
        assert job.description in listed
    assert "billing_run" in listed and "cron 0 6 1 * *" in listed


def test_run_job_runs_the_billing_run_for_a_moment_long_past(customer):
    SubscriptionFactory(customer=customer, activated_at=datetime(2026, 10, 5, tzinfo=TOKYO))
    with time_machine.travel(datetime(2027, 1, 9, 14, 0, tzinfo=TOKYO), tick=False):
        output = _run_job("billing_run", "--at", "2027-01-01T06:00+09:00")
        assert "billing_run at 2027-01-01T06:00:00+09:00: 1" in output
        # Beat's moment, not the wall clock's: December, issued on the 1st.
        invoice = Invoice.objects.get(customer=customer)
        assert (invoice.period_start, invoice.issued_on) == (date(2026, 12, 1), date(2027, 1, 1))
        notification = Notification.objects.get(type="INVOICE_ISSUED")
        assert notification.created_at == datetime(2027, 1, 1, 6, 0, tzinfo=TOKYO)
        again = _run_job("billing_run", "--at", "2027-01-01T06:00:00+09:00")
    assert "nothing to do" in again
    assert Invoice.objects.count() == 1


def test_run_job_without_a_moment_runs_for_now(customer):
    SubscriptionFactory(customer=customer, activated_at=datetime(2026, 10, 5, tzinfo=TOKYO))
    with time_machine.travel(datetime(2027, 2, 1, 6, 0, tzinfo=TOKYO), tick=False):
        _run_job("billing_run")
    assert Invoice.objects.get().period_start == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no_such_job",), "There is no job 'no_such_job'"),
        (("billing_run", "--at", "2027-01-01T06:00"), "needs its offset"),
        (("billing_run", "--at", "the first"), "not an ISO 8601 moment"),
        ((), "Name a job"),
    ],
)
def test_run_job_refuses_what_it_cannot_run(args, message):
    with pytest.raises(CommandError, match=message):
        _run_job(*args)
    assert not BillingRun.objects.exists()
