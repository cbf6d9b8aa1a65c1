from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.services import build_me_status, build_summary
from notifications.models import Notification
from tests.dashboard.providers import HangingProvider
from tests.factories import (
    CancellationRequestFactory,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    PlanFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
TODAY = date(2026, 11, 24)


def tasks(customer, now=NOW):
    return build_me_status(customer=customer, now=now).tasks


def task_ids(customer, now=NOW):
    return [task.id for task in tasks(customer, now)]


def unpaid(customer, due_in_days, **kwargs):
    return InvoiceFactory(
        customer=customer,
        issued_on=TODAY - timedelta(days=30),
        due_date=TODAY + timedelta(days=due_in_days),
        **kwargs,
    )


@pytest.fixture
def started(customer):
    """A customer who is past the first step: they have a card and a service."""
    PaymentMethodFactory(customer=customer, is_default=True)
    SubscriptionFactory(customer=customer)
    return customer


# --- invoice_due ------------------------------------------------------------------------


def test_overdue_invoice_is_a_critical_task_with_priority_10(started):
    invoice = unpaid(started, -3, total=Decimal("5500.00"))
    [task] = tasks(started)
    assert task.id == f"invoice_due:{invoice.pk}"
    assert (task.type, task.priority, task.tone) == ("invoice_due", 10, "critical")
    assert task.href == f"/account/billing/invoices/{invoice.pk}"
    assert task.due_date == invoice.due_date
    assert task.title == f"Invoice {invoice.number} is overdue"
    assert task.description == "¥5,500 was due on Nov. 21, 2026."
    assert task.action_label == "View invoice"


def test_invoice_due_yesterday_is_overdue(started):
    unpaid(started, -1)
    [task] = tasks(started)
    assert (task.priority, task.tone) == (10, "critical")


def test_invoice_due_today_is_a_warning(started):
    invoice = unpaid(started, 0)
    [task] = tasks(started)
    assert (task.priority, task.tone) == (30, "warning")
    assert task.title == f"Invoice {invoice.number} is due today"


def test_invoice_due_tomorrow_says_so(started):
    invoice = unpaid(started, 1)
    [task] = tasks(started)
    assert task.title == f"Invoice {invoice.number} is due tomorrow"


def test_invoice_due_in_exactly_seven_days_is_a_warning(started):
    invoice = unpaid(started, 7)
    [task] = tasks(started)
    assert (task.priority, task.tone) == (30, "warning")
    assert task.title == f"Invoice {invoice.number} is due in 7 days"


def test_invoice_due_in_eight_days_is_not_a_task(started):
    unpaid(started, 8)
    assert tasks(started) == ()


def test_the_due_date_is_compared_with_the_date_in_tokyo(started):
    # 15:30 UTC on the 23rd is already 00:30 on the 24th in Tokyo.
    just_after_midnight = datetime(2026, 11, 23, 15, 30, tzinfo=ZoneInfo("UTC"))
    unpaid(started, -1)  # due on the 23rd
    [task] = tasks(started, now=just_after_midnight)
    assert task.tone == "critical"


def test_every_overdue_invoice_is_its_own_task_oldest_first(started):
    later = unpaid(started, -2)
    earlier = unpaid(started, -20)
    soon = unpaid(started, 2)
    assert task_ids(started) == [
        f"invoice_due:{earlier.pk}",
        f"invoice_due:{later.pk}",
        f"invoice_due:{soon.pk}",
    ]


@pytest.mark.parametrize("status", ["paid", "cancelled", "refunded"])
def test_settled_invoices_are_not_tasks(started, status):
    unpaid(started, -5, status=status)
    assert tasks(started) == ()


def test_other_customers_invoices_never_appear(started, other_customer):
    unpaid(other_customer, -5)
    assert tasks(started) == ()


def test_task_copy_is_written_in_the_customers_language(started):
    started.language = "ja"
    started.save()
    unpaid(started, -3, total=Decimal("5500.00"))
    [task] = tasks(started)
    assert "5,500円" in task.description
    assert "2026年11月21日" in task.description


# --- idv_rejected -------------------------------------------------------------------------


def test_rejected_verification_is_a_critical_task_with_the_reason(started):
    started.residence_card_verification.status = "rejected"
    started.residence_card_verification.rejection_reason = "The photo is blurred."
    started.residence_card_verification.save()
    [task] = tasks(started)
    assert task.id == task.type == "idv_rejected"
    assert (task.priority, task.tone, task.href) == (20, "critical", "/account/verification")
    assert task.title == "Upload your residence card again"
    assert task.description == "The photo is blurred."
    assert task.action_label == "Upload again"
    assert task.due_date is None


def test_rejected_without_a_reason_still_explains(started):
    started.residence_card_verification.status = "rejected"
    started.residence_card_verification.save()
    [task] = tasks(started)
    assert task.description.startswith("We could not verify your residence card")


@pytest.mark.parametrize("status", ["not_submitted", "pending", "verified"])
def test_other_verification_states_are_not_tasks(started, status):
    started.residence_card_verification.status = status
    started.residence_card_verification.save()
    assert tasks(started) == ()


# --- add_payment_method -------------------------------------------------------------------


def test_no_payment_method_is_a_warning_once_the_customer_has_started(customer):
    SubscriptionFactory(customer=customer)
    [task] = tasks(customer)
    assert (task.id, task.priority, task.tone) == ("add_payment_method", 40, "warning")
    assert task.href == "/account/billing/payment-methods"


def test_a_brand_new_customer_is_not_asked_for_a_payment_method_yet(customer):
    assert task_ids(customer) == ["onboarding"]
    assert build_me_status(customer=customer, now=NOW).payment_methods.total_count == 0


def test_requesting_eligibility_counts_as_having_started(customer):
    customer.internet_eligibility.status = "pending"
    customer.internet_eligibility.save()
    assert "add_payment_method" in task_ids(customer)


def test_a_payment_method_removes_the_task(started):
    assert "add_payment_method" not in task_ids(started)


def test_a_failing_provider_gives_null_and_keeps_the_rest(customer, settings, caplog):
    settings.BILLING_PROVIDER = "tests.dashboard.providers.FailingProvider"
    SubscriptionFactory(customer=customer)
    invoice = unpaid(customer, -1)
    with caplog.at_level(logging.ERROR, logger="billing.providers"):
        snapshot = build_me_status(customer=customer, now=NOW)
    assert snapshot.payment_methods.total_count is None
    assert [task.id for task in snapshot.tasks] == [f"invoice_due:{invoice.pk}"]
    assert snapshot.summary.next_invoice.id == invoice.pk
    assert "Billing provider failed" in caplog.text


def test_a_provider_slower_than_its_timeout_gives_null(customer, settings):
    settings.BILLING_PROVIDER = "tests.dashboard.providers.HangingProvider"
    settings.BILLING_PROVIDER_TIMEOUT_SECONDS = 0.05
    SubscriptionFactory(customer=customer)
    HangingProvider.release.clear()
    try:
        snapshot = build_me_status(customer=customer, now=NOW)
    finally:
        HangingProvider.release.set()
    assert snapshot.payment_methods.total_count is None
    assert "add_payment_method" not in [task.id for task in snapshot.tasks]


# --- order_in_progress --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending_review", "approved", "provisioning"])
def test_an_open_order_is_an_info_task(started, status):
    order = OrderFactory(customer=started, status=status)
    [task] = tasks(started)
    assert task.id == f"order_in_progress:{order.pk}"
    assert (task.type, task.priority, task.tone) == ("order_in_progress", 50, "info")
    assert task.href == f"/account/orders/{order.pk}"
    assert task.title == f"Order {order.number} is in progress"
    assert order.plan.name in task.description


@pytest.mark.parametrize("status", ["activated", "failed", "cancelled"])
def test_a_finished_order_is_not_a_task(started, status):
    OrderFactory(customer=started, status=status)
    assert tasks(started) == ()


def test_order_tasks_are_oldest_first(started):
    sim = OrderFactory(customer=started, plan=PlanFactory(kind="sim"), placed_at=NOW)
    internet = OrderFactory(
        customer=started,
        plan=PlanFactory(kind="internet"),
        placed_at=NOW - timedelta(days=2),
        status="provisioning",
    )
    assert task_ids(started) == [f"order_in_progress:{internet.pk}", f"order_in_progress:{sim.pk}"]


# --- eligibility_pending --------------------------------------------------------------------


def test_pending_eligibility_is_an_info_task(started):
    started.internet_eligibility.status = "pending"
    started.internet_eligibility.address = "1-2-3 Shibuya, Tokyo"
    started.internet_eligibility.save()
    [task] = tasks(started)
    assert (task.id, task.priority, task.tone) == ("eligibility_pending", 60, "info")
    assert task.href == "/account/eligibility"
    assert "1-2-3 Shibuya, Tokyo" in task.description


@pytest.mark.parametrize("status", ["not_requested", "eligible", "ineligible"])
def test_other_eligibility_states_are_not_tasks(started, status):
    started.internet_eligibility.status = status
    started.internet_eligibility.save()
    assert tasks(started) == ()


# --- onboarding ---------------------------------------------------------------------------


def test_a_customer_without_orders_or_services_is_sent_to_check_eligibility(customer):
    [task] = tasks(customer)
    assert (task.id, task.priority, task.tone) == ("onboarding", 90, "neutral")
    assert task.href == "/account/eligibility"


def test_onboarding_goes_to_ordering_once_eligibility_was_requested(customer):
    PaymentMethodFactory(customer=customer)
    customer.internet_eligibility.status = "eligible"
    customer.internet_eligibility.save()
    [task] = tasks(customer)
    assert task.id == "onboarding"
    assert task.href == "/account/orders/new"


def test_any_order_even_a_cancelled_one_ends_onboarding(customer):
    PaymentMethodFactory(customer=customer)
    OrderFactory(customer=customer, status="cancelled")
    assert tasks(customer) == ()


def test_a_subscription_ends_onboarding(started):
    assert "onboarding" not in task_ids(started)


# --- order and ids ------------------------------------------------------------------------


def test_tasks_are_sorted_by_priority_then_date(customer):
    customer.residence_card_verification.status = "rejected"
    customer.residence_card_verification.save()
    customer.internet_eligibility.status = "pending"
    customer.internet_eligibility.save()
    soon = unpaid(customer, 5)
    overdue = unpaid(customer, -1)
    order = OrderFactory(customer=customer, placed_at=NOW - timedelta(hours=1))
    assert task_ids(customer) == [
        f"invoice_due:{overdue.pk}",
        "idv_rejected",
        f"invoice_due:{soon.pk}",
        "add_payment_method",
        f"order_in_progress:{order.pk}",
        "eligibility_pending",
    ]
    priorities = [task.priority for task in tasks(customer)]
    assert priorities == sorted(priorities)


def test_task_ids_are_stable_between_reads(started):
    unpaid(started, -1)
    OrderFactory(customer=started)
    assert task_ids(started) == task_ids(started, now=NOW + timedelta(hours=3))


# --- the invoice-due reminder -------------------------------------------------------------


def reminders(customer):
    return Notification.objects.filter(user=customer.user, type="INVOICE_DUE")


def test_reading_the_dashboard_reminds_about_the_earliest_due_invoice(started):
    unpaid(started, 3)
    earliest = unpaid(started, -4, total=Decimal("7458.00"))
    build_me_status(customer=started, now=NOW)
    [reminder] = reminders(started)
    assert reminder.source_id == str(earliest.pk)
    assert reminder.title == f"Invoice {earliest.number} is overdue"
    assert reminder.message == (
        "¥7,458 was due on Nov. 20, 2026. Please pay it as soon as possible."
    )
    assert reminder.action_url == f"/account/billing/invoices/{earliest.pk}"


def test_no_reminder_for_an_invoice_due_in_more_than_seven_days(started):
    unpaid(started, 8)
    build_me_status(customer=started, now=NOW)
    assert not reminders(started).exists()


def test_a_second_read_creates_nothing_and_costs_no_extra_query(started):
    unpaid(started, 2)
    build_me_status(customer=started, now=NOW)
    with CaptureQueriesContext(connection) as with_reminder:
        build_me_status(customer=started, now=NOW + timedelta(minutes=5))
    assert reminders(started).count() == 1

    quiet = CustomerFactory()
    PaymentMethodFactory(customer=quiet)
    SubscriptionFactory(customer=quiet)
    with CaptureQueriesContext(connection) as without_invoices:
        build_me_status(customer=quiet, now=NOW)
    assert len(with_reminder) == len(without_invoices)


def test_a_dismissed_reminder_does_not_come_back_the_same_tokyo_day(started):
    unpaid(started, 1)
    build_me_status(customer=started, now=NOW)
    reminders(started).update(archived_at=NOW)
    build_me_status(customer=started, now=NOW.replace(hour=23, minute=59))
    assert reminders(started).count() == 1


def test_the_reminder_comes_back_the_next_tokyo_day(started):
    unpaid(started, 1)
    build_me_status(customer=started, now=NOW)
    build_me_status(customer=started, now=NOW.replace(hour=0, minute=1) + timedelta(days=1))
    assert reminders(started).count() == 2


def test_a_new_reminder_is_already_in_the_unread_count(started):
    unpaid(started, -1)
    snapshot = build_me_status(customer=started, now=NOW)
    assert snapshot.summary.stats.unread_notifications == 1


# --- summary ------------------------------------------------------------------------------


def test_stats_count_what_the_customer_has(customer, other_customer):
    SubscriptionFactory(customer=customer, status="active")
    SubscriptionFactory(customer=customer, status="cancellation_scheduled")
    SubscriptionFactory(customer=customer, status="cancelled")
    SubscriptionFactory(customer=other_customer)
    unpaid(customer, -2)
    unpaid(customer, 20)
    unpaid(customer, -2, status="paid")
    OrderFactory(customer=customer, status="approved")
    OrderFactory(customer=customer, status="activated")
    NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=1))
    NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=1), read_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=40))  # expired
    stats = build_summary(customer=customer, now=NOW).stats
    assert stats.active_subscriptions == 2
    assert stats.unpaid_invoices == 2
    assert stats.overdue_invoices == 1
    assert stats.orders_in_progress == 1
    # One unread from before, plus the INVOICE_DUE reminder this read created.
    assert stats.unread_notifications == 2


def test_next_invoice_is_the_unpaid_invoice_due_first(customer):
    unpaid(customer, 40)
    first = unpaid(customer, 12, total=Decimal("2178.00"))
    next_invoice = build_summary(customer=customer, now=NOW).next_invoice
    assert next_invoice.id == first.pk
    assert next_invoice.number == first.number
    assert next_invoice.days_until_due == 12
    assert next_invoice.overdue is False
    assert next_invoice.total == Decimal("2178.00")
    assert next_invoice.href == f"/account/billing/invoices/{first.pk}"


def test_an_overdue_next_invoice_counts_days_backwards(customer):
    unpaid(customer, -3)
    next_invoice = build_summary(customer=customer, now=NOW).next_invoice
    assert (next_invoice.days_until_due, next_invoice.overdue) == (-3, True)


def test_next_invoice_is_none_when_nothing_is_unpaid(customer):
    unpaid(customer, -3, status="paid")
    assert build_summary(customer=customer, now=NOW).next_invoice is None


def test_recent_activity_lists_every_kind_of_event_newest_first(customer):
    tokyo = TOKYO
    order = OrderFactory(
        customer=customer,
        status="activated",
        placed_at=datetime(2026, 11, 1, 9, tzinfo=tokyo),
        activated_at=datetime(2026, 11, 3, 9, tzinfo=tokyo),
    )
    failed = OrderFactory(
        customer=customer,
        plan=PlanFactory(kind="internet"),
        status="failed",
        placed_at=datetime(2026, 11, 5, 9, tzinfo=tokyo),
        failed_at=datetime(2026, 11, 6, 9, tzinfo=tokyo),
    )
    invoice = InvoiceFactory(
        customer=customer,
        issued_on=date(2026, 11, 10),
        due_date=date(2026, 11, 30),
        status="paid",
        paid_at=datetime(2026, 11, 12, 9, tzinfo=tokyo),
    )
    subscription = SubscriptionFactory(customer=customer, plan=PlanFactory(name="SIM Data 3GB"))
    cancellation = CancellationRequestFactory(
        subscription=subscription, requested_at=datetime(2026, 11, 20, 9, tzinfo=tokyo)
    )
    activity = build_summary(customer=customer, now=NOW).recent_activity
    assert [(entry.id, entry.href) for entry in activity] == [
        (f"cancellation_requested:{cancellation.pk}", f"/account/services/{subscription.pk}"),
        (f"invoice_paid:{invoice.pk}", f"/account/billing/invoices/{invoice.pk}"),
        (f"invoice_issued:{invoice.pk}", f"/account/billing/invoices/{invoice.pk}"),
        (f"order_failed:{failed.pk}", f"/account/orders/{failed.pk}"),
        (f"order_placed:{failed.pk}", f"/account/orders/{failed.pk}"),
        (f"order_activated:{order.pk}", f"/account/orders/{order.pk}"),
        (f"order_placed:{order.pk}", f"/account/orders/{order.pk}"),
    ]
    assert activity[0].title == "Cancellation of SIM Data 3GB requested"
    assert activity[5].title == f"Order {order.number} activated"
    assert activity[2].occurred_at == datetime(2026, 11, 10, tzinfo=tokyo)


def test_recent_activity_keeps_the_ten_newest(customer):
    for day in range(1, 16):
        InvoiceFactory(
            customer=customer,
            issued_on=date(2026, 10, day),
            due_date=date(2026, 10, day) + timedelta(days=14),
            status="cancelled",
        )
    activity = build_summary(customer=customer, now=NOW).recent_activity
    assert len(activity) == 10
    assert activity[0].occurred_at.date() == date(2026, 10, 15)
    assert activity[-1].occurred_at.date() == date(2026, 10, 6)


def test_an_invoice_issued_in_the_future_is_not_activity_yet(customer):
    InvoiceFactory(customer=customer, issued_on=TODAY + timedelta(days=1), status="cancelled")
    assert build_summary(customer=customer, now=NOW).recent_activity == ()


def test_build_summary_is_the_summary_of_build_me_status(started):
    unpaid(started, -1)
    OrderFactory(customer=started, status="approved")
    build_me_status(customer=started, now=NOW)  # creates the reminder first
    assert (
        build_summary(customer=started, now=NOW)
        == build_me_status(customer=started, now=NOW).summary
    )


def test_identity_details_are_in_the_snapshot(customer):
    eligibility = customer.internet_eligibility
    eligibility.status = "ineligible"
    eligibility.address = "9-9 Nowhere, Hokkaido"
    eligibility.requested_at = NOW - timedelta(days=3)
    eligibility.checked_at = NOW - timedelta(days=1)
    eligibility.save()
    snapshot = build_me_status(customer=customer, now=NOW)
    assert snapshot.internet_eligibility.status == "ineligible"
    assert snapshot.internet_eligibility.address == "9-9 Nowhere, Hokkaido"
    assert snapshot.internet_eligibility.notes is None
    assert snapshot.internet_eligibility.checked_at == NOW - timedelta(days=1)
    assert snapshot.residence_card_verification.status == "not_submitted"
    assert snapshot.residence_card_verification.rejection_reason is None
