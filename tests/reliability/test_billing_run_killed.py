"""A Celery worker is killed hard (SIGKILL) in the middle of the billing run, inside a chunk
that has taken its invoice numbers and is writing its invoices.

To stop it there, the test holds an uncommitted invoice of its own for the first customer
of the second chunk: the worker's insert waits on the unique constraint, with the first
chunk committed. Killed, the worker's transaction dies with its connection. The sweep finds
the run stopped and a new worker finishes it: every customer invoiced exactly once, the
numbers without a gap, one INVOICE_ISSUED each.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from billing.models import BillingRun, BillingRunStatus, Invoice
from billing.services.invoice_rules import billing_period
from billing.sweeps import RUN_STALE_AFTER
from billing.tasks import billing_run
from notifications.models import Notification
from outbox.sweeps import sweep_unfinished_work
from tests.factories import CustomerFactory, PlanFactory, SubscriptionFactory
from tests.reliability.processes import celery_worker, database_url_for, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WORKER = "billing-run-worker"


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND wait_event_type = 'Lock'",
            [WORKER],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def test_a_billing_run_whose_worker_was_killed_mid_chunk_is_finished_once(tmp_path: Path):
    period = billing_period(now=timezone.now())
    plan = PlanFactory(monthly_price=Decimal("5280"))
    customers = CustomerFactory.create_batch(6)
    for customer in customers:
        SubscriptionFactory(
            customer=customer, plan=plan, activated_at=timezone.now() - timedelta(days=90)
        )
    blocked = customers[2]  # the first customer of the second chunk of two

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    blocker = psycopg.connect(database_url_for("billing-run-blocker"))
    try:
        blocker.execute(
            "INSERT INTO billing_invoice (customer_id, number, issued_on, due_date, total, tax,"
            " currency, status, created_at, kind, period_start, period_end)"
            " VALUES (%s, 'BLOCKER', %s, %s, 1, 0, 'JPY', 'unpaid', now(), 'monthly', %s, %s)",
            [blocked.pk, period.issued_on, period.due_date, period.start, period.end],
        )
        with celery_worker(first, application_name=WORKER, BILLING_RUN_CHUNK_SIZE="2") as worker:
            billing_run.delay()
            wait_for(_waiting_on_a_lock, what="the run to reach the second chunk", process=worker)
            os.killpg(worker.popen.pid, signal.SIGKILL)
            worker.popen.wait(timeout=10)
            # The worker's connection ends once its statement can finish.
            blocker.rollback()
    finally:
        blocker.close()

    run = BillingRun.objects.get()
    assert run.status == BillingRunStatus.RUNNING
    assert run.last_customer_id == customers[1].pk
    assert Invoice.objects.count() == 2

    later = timezone.now() + RUN_STALE_AFTER + timedelta(minutes=1)
    with celery_worker(second, application_name=WORKER, BILLING_RUN_CHUNK_SIZE="2") as worker:
        assert sweep_unfinished_work(now=later)["billing.runs"] == 1

        def completed() -> bool:
            run.refresh_from_db()
            return run.status == BillingRunStatus.COMPLETED

        wait_for(completed, what="the swept run to complete", process=worker)
        assert sweep_unfinished_work(now=later)["billing.runs"] == 0

    invoices = Invoice.objects.order_by("customer_id")
    assert [invoice.customer_id for invoice in invoices] == [c.pk for c in customers]
    assert [invoice.number for invoice in invoices] == [
        f"INV-{period.issued_on.year}-{n:06d}" for n in range(1, 7)
    ]
    assert run.invoices_created == 6
    assert Notification.objects.filter(type="INVOICE_ISSUED").count() == 6
