from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.conf import settings

from notifications.models import Notification
from portal.celery import app
from subscriptions import services, tasks
from tests.subscriptions.conftest import tokyo

pytestmark = pytest.mark.django_db


def test_the_daily_beat_entry_names_the_completion_task():
    entry = settings.CELERY_BEAT_SCHEDULE["complete-due-cancellations"]
    assert entry["task"] == "subscriptions.tasks.complete_due_cancellations"
    assert entry["task"] in app.tasks


def test_the_daily_task_completes_what_is_due_in_tokyo(sim):
    services.request_cancellation(
        customer=sim.customer,
        subscription_id=sim.pk,
        effective_on=date(2026, 11, 30),
        reason="moving",
        now=tokyo(2026, 11, 20),
    )
    with time_machine.travel(tokyo(2026, 12, 1, 0, 15), tick=False):
        tasks.complete_due_cancellations.delay()
        tasks.complete_due_cancellations.delay()
    sim.refresh_from_db()
    assert sim.status == "cancelled"
    assert sim.cancellation_requests.get().status == "completed"


def test_the_notification_task_is_safe_to_run_twice(sim):
    cancellation = services.request_cancellation(
        customer=sim.customer,
        subscription_id=sim.pk,
        effective_on=date(2026, 11, 30),
        reason="moving",
        now=tokyo(2026, 11, 20),
    )
    tasks.send_cancellation_scheduled_notification.delay(cancellation.pk)
    tasks.send_cancellation_scheduled_notification.delay(cancellation.pk)
    assert Notification.objects.filter(source_id=str(cancellation.pk)).count() == 1


def test_the_notification_task_retries_with_backoff_and_a_limit():
    task = tasks.send_cancellation_scheduled_notification
    assert task.max_retries == 5
    assert task.retry_backoff
