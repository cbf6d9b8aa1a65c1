"""Fulfillment through a real Celery worker process, on the Redis broker and PostgreSQL.

The worker and the outbox's dispatcher are started against the test database; the test
approves an order (which stores the task in the outbox, for the dispatcher to publish) and
polls the database until the worker has finished.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from notifications.models import Notification
from orders.models import Order, OrderStatus
from orders.services.placing import place_order
from orders.services.review import approve_order
from portal.celery import app as celery_app
from tests.orders.support import ready_to_order, sim_plan
from tests.reliability.processes import outbox_dispatcher

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAILING_PLAN = "sim-worker-broken"
TIMEOUT_SECONDS = 60


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test_* copy)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[Worker]:
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a real broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/1")
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # Tasks left on the queue by an earlier run point at rows that no longer exist.
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_purge(queue)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PROVISIONING_FAILURE_MODE": "",
        "PROVISIONING_FAILURE_PLANS": f"{FAILING_PLAN}=permanent",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--queues",
                queue,
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"orders-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # This process publishes to the broker instead of running tasks in-process.
    celery_app.conf.task_always_eager = False
    try:
        with outbox_dispatcher(tmp_path):
            yield Worker(process, log)
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for(order: Order, worker: Worker, *statuses: str) -> Order:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status in statuses:
            return order
        if worker.process.poll() is not None:
            pytest.fail(f"The worker exited ({worker.process.returncode}):\n{worker.log_tail()}")
        time.sleep(0.25)  # polling a real worker: the one place a test waits
    pytest.fail(
        f"{order.number} is still {order.status} after {TIMEOUT_SECONDS}s. "
        f"Worker log:\n{worker.log_tail()}"
    )


def _approved_order(customer, plan_code: str) -> Order:
    ready_to_order(customer)
    order = place_order(customer=customer, plan_code=sim_plan(code=plan_code).code)
    # Commits, with the task in the outbox; the dispatcher sends it to the broker.
    approve_order(order_id=order.pk)
    return order


def test_a_real_worker_activates_an_approved_order(worker, customer):
    order = _approved_order(customer, "sim-worker-ok")
    order = _wait_for(order, worker, OrderStatus.ACTIVATED, OrderStatus.FAILED)
    assert order.status == OrderStatus.ACTIVATED, order.failure_reason
    assert order.subscription is not None and order.subscription.msisdn
    types = Notification.objects.filter(user=customer.user).values_list("type", flat=True)
    assert sorted(types) == ["ORDER_ACTIVATED", "ORDER_APPROVED"]


def test_a_real_worker_fails_an_order_the_operator_refuses(worker, customer):
    order = _approved_order(customer, FAILING_PLAN)
    order = _wait_for(order, worker, OrderStatus.ACTIVATED, OrderStatus.FAILED)
    assert order.status == OrderStatus.FAILED
    assert order.failure_reason
    assert order.subscription is None
    failed = Notification.objects.get(user=customer.user, type="ORDER_FAILED")
    assert failed.source_id == order.external_id
    assert order.failure_reason in failed.message
