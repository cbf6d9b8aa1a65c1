from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from dashboard.services import build_me_status
from notifications.models import Notification
from tests.factories import CustomerFactory, InvoiceFactory

THREADS = 24


def run_at_once(work: Callable[[], object], threads: int = THREADS) -> list[object]:
    """Run `work` in `threads` threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(threads)

    def worker() -> object:
        try:
            barrier.wait(timeout=30)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker) for _ in range(threads)]
        return [future.result(timeout=60) for future in futures]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_dashboard_reads_create_exactly_one_invoice_reminder():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, due_date=timezone.localdate() - timedelta(days=1))
    now = timezone.now()

    def read_dashboard() -> list[str]:
        fresh = Customer.objects.select_related("user").get(pk=customer.pk)
        return [task.id for task in build_me_status(customer=fresh, now=now).tasks]

    results = run_at_once(read_dashboard)

    assert all(tasks[0] == f"invoice_due:{invoice.pk}" for tasks in results)
    reminders = Notification.objects.filter(user=customer.user, type="INVOICE_DUE")
    assert reminders.count() == 1
    assert reminders.get().source_id == str(invoice.pk)
