from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Customer
from dashboard.services import build_me_status
from notifications.models import Notification
from tests.factories import CustomerFactory, InvoiceFactory
from tests.notifications.concurrency import run_at_once


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
