"""The daily purge of notifications that expired long ago."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from notifications import tasks
from notifications.models import Notification
from notifications.services.notify import purge_expired_notifications
from portal.celery import app
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)


def test_the_beat_schedule_names_the_purge_task_and_it_exists():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "notifications.tasks.purge_expired_notifications" in scheduled
    assert "notifications.tasks.purge_expired_notifications" in app.tasks


def test_the_purge_deletes_only_what_expired_more_than_30_days_ago():
    long_gone = [
        NotificationFactory(created_at=NOW - timedelta(days=61 + index)) for index in range(5)
    ]
    recently_expired = NotificationFactory(created_at=NOW - timedelta(days=59))
    current = NotificationFactory(created_at=NOW - timedelta(days=1))
    assert purge_expired_notifications(now=NOW, batch_size=2) == 5
    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert remaining == {recently_expired.pk, current.pk}
    assert not remaining & {n.pk for n in long_gone}


def test_the_purge_task_runs_the_service():
    NotificationFactory(created_at=NOW - timedelta(days=90))
    with time_machine.travel(NOW, tick=False):
        tasks.purge_expired_notifications.delay()
    assert not Notification.objects.exists()
