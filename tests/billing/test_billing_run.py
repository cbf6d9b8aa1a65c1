"""The monthly billing run: what it bills, how it rounds, how it numbers, and that it bills
nobody twice however often it runs. Concurrency and a killed worker are in
test_billing_run_postgres.py and tests/reliability/test_billing_run_killed.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import tasks
from billing.models import (
    BillingRun,
    BillingRunStatus,
    Invoice,
    InvoiceNumberSequence,
    UnbilledCharge,
)
from billing.services.invoice_rules import Period, billing_period, prorate, tax_included
from billing.services.invoices import mark_invoice_paid
from billing.services.run import bill_next_chunk, run_billing
from billing.sweeps import RUN_STALE_AFTER
from notifications.catalog import Money
from notifications.models import Notification, NotificationEmail
from notifications.services.notify import notify
from notifications.services.preferences import update_notification_preferences
from outbox.sweeps import sweep_unfinished_work
from portal.dates import TOKYO
from subscriptions.services import service_end
from tests.factories import (
    CancellationRequestFactory,
    CustomerFactory,
    InvoiceFactory,
    PlanFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

# The run for November 2026 (30 days), as beat starts it.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=TOKYO)
NOVEMBER = Period.of_month(2026, 11)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TOKYO)


@pytest.fixture
def plan():
    return PlanFactory(
        code="hikari-1g",
        kind="internet",
        name="Hikari 1G",
        name_ja="光回線 1G",
        monthly_price="5280",
    )


@pytest.fixture
def sim():
    return PlanFactory(code="sim-20", name="SIM 20GB", name_ja="SIM 20GB", monthly_price="2178")


def subscribe(customer, plan, *, on: date = date(2026, 10, 5), **kwargs):
    return SubscriptionFactory(customer=customer, plan=plan, activated_at=at(on), **kwargs)


def monthly_invoice(customer) -> Invoice:
    return Invoice.objects.prefetch_related("lines").get(customer=customer, kind="monthly")


def amounts(invoice: Invoice) -> list[Decimal]:
    return [line.amount for line in invoice.lines.all()]


# --- The rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "days", "days_in_month", "expected"),
    [
        ("5280", 30, 30, "5280"),  # a whole month is the price
        ("5280", 31, 31, "5280"),
        ("2178", 15, 30, "1089"),  # exact
        ("2178", 20, 31, "1405"),  # 1405.16...
        ("2178", 1, 28, "77"),  # 77.78...: rounded down, never up
        ("2178", 28, 29, "2102"),  # 2102.89...
        ("999", 1, 31, "32"),
    ],
)
def test_proration_is_by_the_day_and_rounds_down_to_the_yen(price, days, days_in_month, expected):
    amount = prorate(price=Decimal(price), days=days, days_in_month=days_in_month)
    assert amount == Decimal(expected)
    assert amount == amount.quantize(Decimal(1))


@pytest.mark.parametrize(
    ("total", "tax"),
    [("5500", "500"), ("7458", "678"), ("5281", "480"), ("2810", "255"), ("1", "0")],
)
def test_the_tax_inside_a_total_is_ten_elevenths_rounded_down(total, tax):
    assert tax_included(Decimal(total)) == Decimal(tax)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (datetime(2026, 12, 1, 6, 0, tzinfo=TOKYO), date(2026, 11, 1), date(2026, 11, 30)),
        # 23:30 UTC on Dec 31 is already Jan 1 in Tokyo.
        (datetime(2026, 12, 31, 21, 30, tzinfo=TOKYO), date(2026, 11, 1), date(2026, 11, 30)),
        (datetime(2027, 1, 1, 0, 30, tzinfo=TOKYO), date(2026, 12, 1), date(2026, 12, 31)),
        (datetime(2028, 3, 1, 6, 0, tzinfo=TOKYO), date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_the_period_is_the_month_before_in_tokyo(now, start, end):
    assert billing_period(now=now) == Period(start=start, end=end)


# --- What is billed -------------------------------------------------------------------------


def test_a_full_month_is_billed_at_the_plans_price_on_a_monthly_invoice(customer, plan):
    subscribe(customer, plan)
    run_billing(now=NOW)
    invoice = monthly_invoice(customer)
    assert (invoice.period_start, invoice.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert (invoice.issued_on, invoice.due_date) == (date(2026, 12, 1), date(2026, 12, 27))
    assert invoice.status == "unpaid"
    assert (invoice.total, invoice.tax) == (Decimal("5280.00"), Decimal("480.00"))
    [line] = invoice.lines.all()
    assert line.description == "Hikari 1G (1 Nov – 30 Nov)"  # noqa: RUF001
    assert line.description_ja == "光回線 1G（11月1日〜11月30日）"  # noqa: RUF001
    assert line.amount == Decimal("5280.00")


def test_a_subscription_activated_mid_month_pays_for_the_days_from_its_activation(customer, sim):
    # Activated at 00:30 on Nov 12 in Tokyo (Nov 11 in UTC): Nov 12 to 30 is 19 days.
    SubscriptionFactory(
        customer=customer, plan=sim, activated_at=datetime(2026, 11, 12, 0, 30, tzinfo=TOKYO)
    )
    run_billing(now=NOW)
    invoice = monthly_invoice(customer)
    assert amounts(invoice) == [Decimal("1379.00")]  # 2178 x 19 / 30 = 1379.4
    assert invoice.lines.get().description == "SIM 20GB (12 Nov – 30 Nov)"  # noqa: RUF001


@pytest.mark.parametrize(
    ("month", "days", "expected"),
    [
        ((2027, 2), 28, "2892"),  # 3000 x 27 / 28 = 2892.86
        ((2028, 2), 29, "2896"),  # 3000 x 28 / 29 = 2896.55
        ((2026, 11), 30, "2900"),
        ((2026, 12), 31, "2903"),  # 3000 x 30 / 31 = 2903.23
    ],
)
def test_every_length_of_month_prorates_by_its_own_days(customer, month, days, expected):
    period = Period.of_month(*month)
    assert period.days == days
    plan = PlanFactory(monthly_price="3000")
    subscribe(customer, plan, on=period.start + timedelta(days=1))
    run_billing(now=at(period.issued_on, 6))
    assert amounts(monthly_invoice(customer)) == [Decimal(expected)]


def test_a_service_cancelled_mid_month_pays_up_to_the_day_it_ended(customer, plan):
    subscribe(customer, plan, status="cancelled", cancelled_at=at(date(2026, 11, 20), 15))
    run_billing(now=NOW)
    assert amounts(monthly_invoice(customer)) == [Decimal("3520.00")]  # 20 of 30 days


def test_a_cancellation_completed_at_the_months_end_pays_the_whole_month(customer, plan):
    subscribe(
        customer,
        plan,
        status="cancelled",
        cancelled_at=service_end(effective_on=date(2026, 11, 30)),
    )
    run_billing(now=NOW)
    assert amounts(monthly_invoice(customer)) == [Decimal("5280.00")]


def test_a_service_that_ended_before_the_month_or_started_after_it_is_not_billed(customer, plan):
    subscribe(
        customer,
        plan,
        status="cancelled",
        cancelled_at=service_end(effective_on=date(2026, 10, 31)),
    )
    subscribe(customer, plan, on=date(2026, 12, 1))
    SubscriptionFactory(customer=customer, plan=plan, status="active", activated_at=None)
    run_billing(now=NOW)
    assert not Invoice.objects.filter(customer=customer).exists()


def test_a_cancellation_still_scheduled_for_an_earlier_month_end_bills_nothing_after_it(
    customer, plan
):
    # The daily completion missed it: the service still ended on its effective date.
    subscription = subscribe(customer, plan, status="cancellation_scheduled")
    CancellationRequestFactory(subscription=subscription, effective_on=date(2026, 10, 31))
    run_billing(now=NOW)
    assert not Invoice.objects.filter(customer=customer).exists()


def test_a_suspended_service_is_still_billed(customer, plan):
    subscribe(customer, plan, status="suspended")
    run_billing(now=NOW)
    assert monthly_invoice(customer).total == Decimal("5280.00")


def test_the_tax_is_worked_out_once_for_the_whole_invoice(customer):
    # Two lines of 1405 (2178 for 20 of 31 days): 127.7 of tax each, 255.4 together.
    plan = PlanFactory(monthly_price="2178")
    for _ in range(2):
        subscribe(customer, plan, on=date(2026, 12, 12))
    run_billing(now=datetime(2027, 1, 1, 6, 0, tzinfo=TOKYO))
    invoice = monthly_invoice(customer)
    assert amounts(invoice) == [Decimal("1405.00")] * 2
    assert (invoice.total, invoice.tax) == (Decimal("2810.00"), Decimal("255.00"))


def test_an_unbilled_fee_joins_the_invoice_once(customer, plan):
    subscribe(customer, plan)
    fee = UnbilledCharge.objects.create(
        customer=customer,
        description="Initial fee: Hikari 1G (order ORD-1)",
        description_ja="初期費用：光回線 1G（ご注文番号 ORD-1）",  # noqa: RUF001
        amount=Decimal("3300"),
        incurred_on=date(2026, 11, 10),
        source_type="order",
        source_id="1",
        created_at=NOW,
    )
    run_billing(now=NOW)
    invoice = monthly_invoice(customer)
    assert amounts(invoice) == [Decimal("5280.00"), Decimal("3300.00")]
    assert invoice.total == Decimal("8580.00")
    fee.refresh_from_db()
    assert fee.invoice == invoice
    run_billing(now=datetime(2027, 1, 1, 6, 0, tzinfo=TOKYO))
    december = Invoice.objects.get(customer=customer, period_start=date(2026, 12, 1))
    assert amounts(december) == [Decimal("5280.00")]


def test_a_fee_of_the_month_being_used_waits_for_its_own_invoice(customer, plan):
    subscribe(customer, plan)
    UnbilledCharge.objects.create(
        customer=customer,
        description="Initial fee",
        amount=Decimal("3300"),
        incurred_on=date(2026, 12, 1),
        source_type="order",
        source_id="2",
        created_at=NOW,
    )
    run_billing(now=NOW)
    assert amounts(monthly_invoice(customer)) == [Decimal("5280.00")]
    assert UnbilledCharge.objects.get().invoice is None


def test_a_customer_with_nothing_to_pay_gets_no_invoice(customer, other_customer):
    subscribe(other_customer, PlanFactory(monthly_price="0"))
    outcome = run_billing(now=NOW)
    assert not Invoice.objects.exists()
    assert outcome.invoices_created == 0
    assert outcome.run.status == BillingRunStatus.COMPLETED


def test_a_customer_already_billed_for_the_month_is_not_billed_again(customer, plan):
    subscribe(customer, plan)
    InvoiceFactory(
        customer=customer,
        kind="monthly",
        period_start=NOVEMBER.start,
        period_end=NOVEMBER.end,
        total=Decimal("100"),
    )
    assert run_billing(now=NOW).invoices_created == 0
    assert Invoice.objects.filter(customer=customer).count() == 1


# --- Numbers, repeats, progress -------------------------------------------------------------


def _customers_with_service(count: int, plan) -> list:
    customers = CustomerFactory.create_batch(count)
    for customer in customers:
        subscribe(customer, plan)
    return customers


def test_numbers_follow_the_customers_without_gaps_across_chunks(plan):
    customers = _customers_with_service(5, plan)
    run_billing(now=NOW, chunk_size=2)
    numbers = [monthly_invoice(customer).number for customer in customers]
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 6)]
    assert InvoiceNumberSequence.objects.get(year=2026).last_number == 5


def test_numbers_carry_on_after_the_highest_of_the_year_and_start_again_each_year(plan):
    InvoiceFactory(number="INV-2026-000041")
    InvoiceFactory(number="INV-D002-01")  # the demo's numbers are not the year's
    [customer] = _customers_with_service(1, plan)
    run_billing(now=NOW)
    assert monthly_invoice(customer).number == "INV-2026-000042"
    # December is issued on Jan 1, 2027: the first number of 2027.
    run_billing(now=datetime(2027, 1, 1, 6, 0, tzinfo=TOKYO))
    december = Invoice.objects.get(customer=customer, period_start=date(2026, 12, 1))
    assert december.number == "INV-2027-000001"


def test_a_run_repeated_for_the_same_month_creates_nothing_twice(plan):
    customers = _customers_with_service(3, plan)
    assert run_billing(now=NOW, chunk_size=2).invoices_created == 3
    again = run_billing(now=NOW + timedelta(hours=3), chunk_size=2)
    assert again.invoices_created == 0
    assert Invoice.objects.count() == 3
    assert Notification.objects.filter(type="INVOICE_ISSUED").count() == 3
    assert InvoiceNumberSequence.objects.get(year=2026).last_number == 3
    assert {invoice.customer for invoice in Invoice.objects.all()} == set(customers)


def test_a_run_that_stopped_after_a_chunk_is_finished_by_the_next_one(plan):
    customers = _customers_with_service(5, plan)
    run = BillingRun.objects.create(period_start=NOVEMBER.start, started_at=NOW, customers_total=5)
    bill_next_chunk(run_id=run.pk, period=NOVEMBER, now=NOW, chunk_size=2)
    assert Invoice.objects.count() == 2
    # Whatever stopped it, the next run carries on from the cursor.
    outcome = run_billing(now=NOW, chunk_size=2)
    assert outcome.invoices_created == 3
    numbers = [monthly_invoice(customer).number for customer in customers]
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 6)]


def test_the_run_records_its_progress_and_counts(plan):
    _customers_with_service(3, plan)
    CustomerFactory()  # nothing to bill
    run = run_billing(now=NOW, chunk_size=3).run
    run.refresh_from_db()
    assert run.period_start == NOVEMBER.start
    assert run.status == BillingRunStatus.COMPLETED
    assert (run.started_at, run.finished_at) == (NOW, NOW)
    assert (run.customers_done, run.customers_total, run.invoices_created) == (4, 4, 3)


def test_the_sweep_carries_on_with_a_run_that_stopped(plan, django_capture_on_commit_callbacks):
    _customers_with_service(3, plan)
    run = BillingRun.objects.create(period_start=NOVEMBER.start, started_at=NOW, customers_total=3)
    bill_next_chunk(run_id=run.pk, period=NOVEMBER, now=NOW, chunk_size=1)
    now = timezone.now()
    # A run that moved a moment ago is left to whoever runs it.
    assert sweep_unfinished_work(now=now)["billing.runs"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        swept = sweep_unfinished_work(now=now + RUN_STALE_AFTER + timedelta(minutes=1))
    assert swept["billing.runs"] == 1
    run.refresh_from_db()
    assert run.status == BillingRunStatus.COMPLETED
    assert Invoice.objects.count() == 3


# --- The notification -----------------------------------------------------------------------


def test_each_invoice_is_announced_once_in_both_languages(customer, other_customer, plan):
    subscribe(customer, plan)
    subscribe(other_customer, plan)
    run_billing(now=NOW)
    run_billing(now=NOW)
    mine = Notification.objects.get(user=customer.user, type="INVOICE_ISSUED")
    invoice = monthly_invoice(customer)
    assert mine.source_id == str(invoice.pk)
    assert (mine.category, mine.severity) == ("billing", "info")
    assert mine.created_at == NOW
    assert mine.title == "Your November 2026 invoice is ready"
    assert mine.message == f"Invoice {invoice.number}: ¥5,280, due on Dec. 27, 2026."
    assert mine.action_url == f"/account/billing/invoices/{invoice.pk}"
    assert Notification.objects.filter(type="INVOICE_ISSUED").count() == 2
    japanese = mine.rendered("ja")
    assert japanese.title == "2026年11月分のご請求書を発行しました"
    assert japanese.message == (
        f"請求書 {invoice.number}：ご請求額は5,280円、お支払い期限は2026年12月27日です。"  # noqa: RUF001
    )


def test_the_announcement_is_emailed_by_the_customers_preferences(customer, other_customer, plan):
    subscribe(customer, plan)
    subscribe(other_customer, plan)
    update_notification_preferences(user=other_customer.user, changes={"billing": {"email": False}})
    run_billing(now=NOW)
    emailed = set(NotificationEmail.objects.values_list("user_id", flat=True))
    assert emailed == {customer.user_id}


def test_paying_the_invoice_retires_its_announcement(customer, plan):
    subscribe(customer, plan)
    run_billing(now=NOW)
    mark_invoice_paid(invoice_id=monthly_invoice(customer).pk)
    announcement = Notification.objects.get(type="INVOICE_ISSUED")
    assert announcement.retired_at is not None
    assert announcement.read_at is not None


# --- Cost -----------------------------------------------------------------------------------


def _one_notify_statements() -> int:
    """What one INVOICE_ISSUED costs on this database, measured on a customer of its own."""
    someone = CustomerFactory()
    with CaptureQueriesContext(connection) as queries:
        notify(
            user=someone.user,
            type="INVOICE_ISSUED",
            source_id="measure",
            context={
                "invoice_id": 1,
                "invoice_number": "INV-2026-999999",
                "period": NOVEMBER.names,
                "amount": Money(Decimal("5280")),
                "due_date": NOVEMBER.due_date,
            },
            now=NOW,
        )
    return len(queries.captured_queries)


def _chunk_statements(count: int, plan) -> int:
    for customer in CustomerFactory.create_batch(count):
        subscribe(customer, plan)
        UnbilledCharge.objects.create(
            customer=customer,
            description="Initial fee",
            amount=Decimal("3300"),
            incurred_on=date(2026, 11, 3),
            source_type="order",
            source_id=str(customer.pk),
            created_at=NOW,
        )
    run = BillingRun.objects.create(period_start=NOVEMBER.start, started_at=NOW)
    with CaptureQueriesContext(connection) as queries:
        bill_next_chunk(run_id=run.pk, period=NOVEMBER, now=NOW, chunk_size=count + 1)
    assert Invoice.objects.filter(kind="monthly").count() == count
    return len(queries.captured_queries)


# Statements of a chunk besides its notify() calls, whatever its size: its savepoint, the
# run's row, the chunk's customers, the invoices already issued, the subscriptions, the
# unbilled charges, the year's number (3 more the first time in a year), the invoices,
# their lines, the charges billed, the customers' logins, the run's cursor. Each notify()
# costs about 9 more (10 on PostgreSQL, its advisory lock): the duplicate check twice, the
# row, the email preference, key and record, the devices, its savepoint.
CHUNK_STATEMENTS = 18


@pytest.mark.parametrize("count", [1, 10])
def test_a_chunk_costs_the_same_statements_for_any_number_of_customers_besides_notify(plan, count):
    notify_statements = _one_notify_statements()
    assert 8 <= notify_statements <= 10
    assert _chunk_statements(count, plan) - count * notify_statements <= CHUNK_STATEMENTS


def test_beats_task_bills_the_month_before_the_moment_it_runs(customer, plan):
    subscribe(customer, plan)
    with time_machine.travel(NOW + timedelta(seconds=2), tick=False):
        assert tasks.billing_run.delay().get() == 1
    assert monthly_invoice(customer).period_start == NOVEMBER.start
