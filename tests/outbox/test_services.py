from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis
from celery import Celery, shared_task
from django.utils import timezone

from outbox import services
from outbox.models import OutboxMessage

CALLS: list[int] = []


@shared_task(name="tests.outbox.record_call")
def record_call(value: int) -> None:
    CALLS.append(value)


def _celery_app(broker_url: str) -> Celery:
    app = Celery("outbox-test", set_as_current=False)
    # broker_write_url: Celery lets the CELERY_BROKER_URL variable override broker_url.
    app.conf.broker_write_url = broker_url
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    app.conf.task_default_queue = "outbox-test"
    return app


@pytest.fixture
def broker_mode():
    """Celery configured with a broker (not eager), as in production."""
    from portal.celery import app

    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process_after_commit(django_capture_on_commit_callbacks):
    CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue_on_commit(record_call, 7)
        assert CALLS == []
    assert CALLS == [7]
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_nothing_is_published_when_the_transaction_rolls_back(
    broker_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.enqueue_on_commit(record_call, 1)
    assert len(callbacks) == 1
    assert OutboxMessage.objects.get().sent_at is None


@pytest.mark.django_db
def test_a_broker_outage_keeps_the_message_pending_with_its_error(
    broker_mode, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "app", _celery_app("redis://127.0.0.1:1/0"))
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue_on_commit(record_call, 3)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error


@pytest.mark.django_db
@pytest.mark.redis
def test_pending_messages_are_published_once_the_broker_is_back(broker_mode, monkeypatch):
    broker_url = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    queue = f"outbox-test-{os.getpid()}"
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)
    message = OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[5])
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )

    monkeypatch.setattr(services, "app", _celery_app("redis://127.0.0.1:1/0"))
    assert services.dispatch_pending() == 0

    live = _celery_app(broker_url)
    live.conf.task_default_queue = queue
    monkeypatch.setattr(services, "app", live)
    try:
        assert services.dispatch_pending() == 1
        assert client.llen(queue) == 1
        assert services.dispatch_pending() == 0  # sent once, not again
    finally:
        client.delete(queue)
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db
def test_young_messages_are_left_to_their_own_publish(broker_mode):
    OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[1])
    assert services.dispatch_pending() == 0


@pytest.mark.django_db
def test_sent_messages_are_purged_after_a_week():
    old = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=1))
    pending = OutboxMessage.objects.create(task_name="x")
    assert services.purge_sent() == 1
    assert set(OutboxMessage.objects.values_list("id", flat=True)) == {recent.pk, pending.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
