"""The dispatcher (`manage.py dispatch_outbox`, the Procfile's `dispatcher`): one pass
publishes what waits and what was lost. Its loop runs as a process in the reliability
tests (tests/reliability/processes.py), beside every real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from outbox import services
from outbox.models import OutboxMessage
from portal.celery import app as celery_app
from tests.outbox.test_services import KeepingBroker, record_call

# The command closes connections it finds unusable, as a long-running process must: a test
# transaction around it would be one, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept(monkeypatch) -> KeepingBroker:  # type: ignore[no-untyped-def]
    broker = KeepingBroker()
    monkeypatch.setattr(services, "app", broker)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield broker
    celery_app.conf.task_always_eager = eager


def test_a_pass_publishes_what_waits(kept):
    services.enqueue_on_commit(record_call, 1)
    services.enqueue_on_commit(record_call, 2)
    call_command("dispatch_outbox", "--once")
    assert kept.delivered == [("tests.outbox.record_call", [1]), ("tests.outbox.record_call", [2])]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_pass_publishes_again_what_was_lost(kept):
    message = OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[3])
    long_ago = timezone.now() - timedelta(minutes=10)
    services.dispatch_pending(now=long_ago)  # sent ten minutes ago, never started
    call_command("dispatch_outbox", "--once")
    assert kept.delivered == [("tests.outbox.record_call", [3])] * 2
    message.refresh_from_db()
    assert message.lost_count == 1
