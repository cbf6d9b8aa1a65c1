from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from billing import tasks
from billing.services.reminders import (
    send_invoice_due_reminders,
    send_payment_method_expiring_reminders,
)
from notifications.models import Notification
from portal.celery import app
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentMethodFactory,
)

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)
TODAY = date(2026, 11, 24)


def test_the_beat_schedule_names_tasks_that_exist():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "notifications.tasks.send_invoice_due_reminders",
        "notifications.tasks.send_payment_method_expiring_reminders",
    ):
        assert name in scheduled
        assert name in app.tasks


# --- INVOICE_DUE ----------------------------------------------------------------------------


def due(days, **kwargs):
    return InvoiceFactory(due_date=TODAY + timedelta(days=days), **kwargs)


def invoice_reminders():
    return Notification.objects.filter(type="INVOICE_DUE")


def test_every_unpaid_invoice_due_within_seven_days_or_overdue_is_reminded():
    reminded = [due(-30), due(-1), due(0), due(7)]
    due(8)
    due(-3, status="paid")
    due(-3, status="cancelled")
    assert send_invoice_due_reminders(now=NOW) == 4
    assert sorted(invoice_reminders().values_list("source_id", flat=True)) == sorted(
        str(invoice.pk) for invoice in reminded
    )


def test_each_reminder_goes_to_the_invoices_customer_in_their_language():
    customer = CustomerFactory(language="ja")
    invoice = due(2, customer=customer, total=Decimal("2178"))
    send_invoice_due_reminders(now=NOW)
    reminder = invoice_reminders().get()
    assert reminder.user == customer.user
    assert "2,178円" in reminder.rendered("ja").message
    assert reminder.action_url == f"/account/billing/invoices/{invoice.pk}"


def test_a_second_run_the_same_day_sends_nothing():
    due(1)
    send_invoice_due_reminders(now=NOW)
    assert send_invoice_due_reminders(now=NOW + timedelta(hours=2)) == 0
    assert invoice_reminders().count() == 1


def test_the_next_day_the_reminder_is_sent_again():
    due(1)
    send_invoice_due_reminders(now=NOW)
    assert send_invoice_due_reminders(now=NOW + timedelta(days=1)) == 1


def test_inactive_logins_get_no_reminder():
    customer = CustomerFactory()
    customer.user.is_active = False
    customer.user.save()
    due(1, customer=customer)
    assert send_invoice_due_reminders(now=NOW) == 0


def test_the_task_runs_the_service():
    due(1)
    with time_machine.travel(NOW, tick=False):
        tasks.send_invoice_due_reminders.delay()
    assert invoice_reminders().count() == 1


def test_a_daily_run_that_starts_a_little_earlier_than_yesterdays_still_reminds():
    due(3)
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        tasks.send_invoice_due_reminders.delay()
    with time_machine.travel(NOW + timedelta(days=1, seconds=2), tick=False):
        tasks.send_invoice_due_reminders.delay()
    assert invoice_reminders().count() == 2


def test_the_expiring_card_task_runs_the_service():
    card(12, 2026)
    with time_machine.travel(NOW, tick=False):
        tasks.send_payment_method_expiring_reminders.delay()
    assert expiring_reminders().count() == 1


# --- PAYMENT_METHOD_EXPIRING ----------------------------------------------------------------


def card(month, year, **kwargs):
    return PaymentMethodFactory(exp_month=month, exp_year=year, **kwargs)


def expiring_reminders():
    return Notification.objects.filter(type="PAYMENT_METHOD_EXPIRING")


def test_cards_expiring_this_month_or_next_are_reminded():
    this_month = card(11, 2026)
    next_month = card(12, 2026)
    card(1, 2027)
    card(10, 2026)  # already expired
    assert send_payment_method_expiring_reminders(now=NOW) == 2
    assert sorted(expiring_reminders().values_list("source_id", flat=True)) == sorted(
        [str(this_month.pk), str(next_month.pk)]
    )
    reminder = expiring_reminders().get(source_id=str(this_month.pk))
    assert reminder.message.startswith(
        "Your Visa card ending in 4242 expires at the end of 11/2026"
    )


def test_december_looks_ahead_to_january():
    january = card(1, 2027)
    send_payment_method_expiring_reminders(now=datetime(2026, 12, 3, 9, tzinfo=TOKYO))
    assert expiring_reminders().get().source_id == str(january.pk)


def test_a_customer_with_a_newer_card_or_a_bank_account_is_not_reminded():
    with_newer_card = card(11, 2026)
    card(8, 2029, customer=with_newer_card.customer)
    with_bank = card(12, 2026)
    PaymentMethodFactory(
        customer=with_bank.customer, type="bank_account", exp_month=None, exp_year=None
    )
    assert send_payment_method_expiring_reminders(now=NOW) == 0


def test_bank_accounts_never_expire():
    PaymentMethodFactory(type="bank_account", exp_month=None, exp_year=None)
    assert send_payment_method_expiring_reminders(now=NOW) == 0


def test_the_expiring_reminder_is_sent_once_a_tokyo_day_at_its_exact_time():
    card(11, 2026)
    send_payment_method_expiring_reminders(now=NOW)
    late_that_day = NOW.replace(hour=23, minute=59)
    next_morning = NOW.replace(hour=0, minute=1) + timedelta(days=1)
    assert send_payment_method_expiring_reminders(now=late_that_day) == 0
    assert send_payment_method_expiring_reminders(now=next_morning) == 1
    assert expiring_reminders().order_by("created_at").last().created_at == next_morning
