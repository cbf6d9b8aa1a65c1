"""Automatic collection, suspension and restore, walked through a month with the jobs as
beat runs them (portal.jobs), the processor faked only at its port."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from billing.models import ChargeAttempt, Invoice, InvoiceStatus, Payment, PaymentStatus
from billing.processor import DECLINING_PREFIX, TestPaymentProcessor
from billing.services.invoices import mark_invoice_paid
from notifications.models import Notification
from portal.dates import TOKYO
from portal.jobs import get_job
from subscriptions.models import Subscription, SubscriptionStatus, Suspension
from subscriptions.services.suspensions import lift_suspension, suspend_subscription
from tests.conftest import bearer_client
from tests.factories import InternetSubscriptionFactory, InvoiceFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db

DUE = date(2027, 1, 27)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=TOKYO)


def run(name: str, moment: datetime) -> object:
    job = get_job(name)
    assert job is not None
    return job.run(moment)


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.ledger.clear()
    yield
    TestPaymentProcessor.ledger.clear()


@pytest.fixture
def declining_card(customer):
    return PaymentMethodFactory(
        customer=customer, is_default=True, processor_reference=f"{DECLINING_PREFIX}1"
    )


@pytest.fixture
def invoice(customer):
    return InvoiceFactory(
        customer=customer, due_date=DUE, issued_on=date(2027, 1, 1), total=Decimal("5280")
    )


@pytest.fixture
def internet(customer):
    return InternetSubscriptionFactory(customer=customer)


def notices(customer, type):
    return list(
        Notification.objects.filter(user=customer.user, type=type).values_list(
            "source_id", flat=True
        )
    )


def test_a_working_card_is_charged_on_the_due_date_at_nine(customer, invoice):
    PaymentMethodFactory(customer=customer, is_default=True)
    assert run("collect_payments", at(1, 27, 8, 59)) == 0
    assert run("collect_payments", at(1, 27)) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get(invoice=invoice)
    assert payment.idempotency_key == f"autocharge:{invoice.pk}:1"
    assert len(TestPaymentProcessor.ledger) == 1
    assert notices(customer, "PAYMENT_RECEIVED") == [str(payment.pk)]
    assert run("collect_payments", at(1, 27)) == 0


def test_the_dunning_timeline_walks_once_through_each_step(
    customer, invoice, internet, declining_card, django_capture_on_commit_callbacks
):
    assert run("collect_payments", at(1, 27)) == 1
    assert run("collect_payments", at(1, 27)) == 0
    assert notices(customer, "PAYMENT_FAILED") == [f"{invoice.pk}:1"]
    assert run("collect_payments", at(1, 29)) == 0
    assert run("collect_payments", at(1, 30)) == 1
    assert run("collect_payments", at(2, 3)) == 1
    assert run("collect_payments", at(2, 6)) == 0
    assert sorted(notices(customer, "PAYMENT_FAILED")) == [f"{invoice.pk}:{n}" for n in (1, 2, 3)]
    assert ChargeAttempt.objects.filter(invoice=invoice).count() == 3
    assert Payment.objects.filter(invoice=invoice, status=PaymentStatus.FAILED).count() == 3

    assert run("suspend_overdue", at(2, 6, 10)) == 0
    assert run("suspend_overdue", at(2, 7, 10)) == 1
    assert run("suspend_overdue", at(2, 8, 10)) == 0
    assert notices(customer, "SUSPENSION_WARNING") == [f"{invoice.pk}:2027-02-10"]
    assert run("suspend_overdue", at(2, 10, 10)) == 1
    assert run("suspend_overdue", at(2, 10, 10)) == 0
    internet.refresh_from_db()
    assert internet.status == SubscriptionStatus.SUSPENDED
    suspension = Suspension.objects.get(subscription=internet)
    assert suspension.reason == "non_payment"
    assert suspension.source == f"invoice:{invoice.pk}"
    assert notices(customer, "SERVICE_SUSPENDED") == [str(suspension.pk)]

    good = PaymentMethodFactory(customer=customer)
    with (
        time_machine.travel(at(2, 10, 12), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = bearer_client(customer.user).post(
            f"/api/invoices/{invoice.pk}/payments",
            {"paymentMethodId": good.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 201
    internet.refresh_from_db()
    assert internet.status == SubscriptionStatus.ACTIVE
    suspension.refresh_from_db()
    assert suspension.ended_at is not None
    assert notices(customer, "SERVICE_RESTORED") == [str(suspension.pk)]
    unread = Notification.objects.filter(user=customer.user, read_at__isnull=True)
    assert not unread.filter(
        type__in=["PAYMENT_FAILED", "SUSPENSION_WARNING", "SERVICE_SUSPENDED"]
    ).exists()
    assert run("suspend_overdue", at(2, 11, 10)) == 0


def test_paying_with_another_card_stops_the_retries(customer, invoice, declining_card):
    run("collect_payments", at(1, 27))
    assert ChargeAttempt.objects.filter(invoice=invoice, attempted_at__isnull=True).count() == 1
    mark_invoice_paid(invoice_id=invoice.pk, paid_at=at(1, 28))
    assert run("collect_payments", at(1, 30)) == 0
    assert run("collect_payments", at(2, 3)) == 0
    assert ChargeAttempt.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_an_expired_card_fails_with_its_reason_without_asking_the_processor(customer, invoice):
    PaymentMethodFactory(customer=customer, is_default=True, exp_month=12, exp_year=2026)
    assert run("collect_payments", at(1, 27)) == 1
    attempt = ChargeAttempt.objects.get(invoice=invoice, number=1)
    assert attempt.failure_code == "card_expired"
    assert attempt.failure_message == "The card on your account has expired."
    assert attempt.payment is None
    assert TestPaymentProcessor.ledger == {}
    assert notices(customer, "PAYMENT_FAILED") == [f"{invoice.pk}:1"]
    assert ChargeAttempt.objects.filter(invoice=invoice, number=2).exists()


def test_a_removed_card_is_a_failure_with_its_reason(customer, invoice):
    card = PaymentMethodFactory(customer=customer, is_default=True)
    card.delete()
    assert run("collect_payments", at(1, 27)) == 1
    attempt = ChargeAttempt.objects.get(invoice=invoice, number=1)
    assert attempt.failure_code == "no_card"
    assert TestPaymentProcessor.ledger == {}


def test_a_bank_account_customer_is_not_charged_automatically(customer, invoice):
    PaymentMethodFactory(customer=customer, is_default=True, type="bank_account")
    assert run("collect_payments", at(1, 27)) == 0
    assert not ChargeAttempt.objects.exists()


def test_payment_does_not_lift_a_lost_sim_suspension(customer, invoice, internet, declining_card):
    suspend_subscription(subscription_id=internet.pk, reason="lost_sim", source="sim", now=at(2, 1))
    run("suspend_overdue", at(2, 10, 10))
    assert Suspension.objects.filter(subscription=internet, ended_at__isnull=True).count() == 2
    mark_invoice_paid(invoice_id=invoice.pk, paid_at=at(2, 10, 12))
    run("suspend_overdue", at(2, 10, 13))
    internet.refresh_from_db()
    assert internet.status == SubscriptionStatus.SUSPENDED
    assert list(
        Suspension.objects.filter(subscription=internet, ended_at__isnull=True).values_list(
            "reason", flat=True
        )
    ) == ["lost_sim"]
    assert notices(customer, "SERVICE_RESTORED") == []
    lift_suspension(subscription_id=internet.pk, reason="lost_sim", now=at(2, 11))
    internet.refresh_from_db()
    assert internet.status == SubscriptionStatus.ACTIVE


def test_staff_marking_the_invoice_paid_restores_the_service_on_commit(
    customer, invoice, internet, django_capture_on_commit_callbacks
):
    run("suspend_overdue", at(2, 10, 10))
    assert Subscription.objects.get(pk=internet.pk).status == SubscriptionStatus.SUSPENDED
    with django_capture_on_commit_callbacks(execute=True):
        mark_invoice_paid(invoice_id=invoice.pk, paid_at=at(2, 10, 12))
    assert Subscription.objects.get(pk=internet.pk).status == SubscriptionStatus.ACTIVE


def test_run_job_runs_the_collection_for_a_moment(customer, invoice, declining_card, capsys):
    call_command("run_job", "collect_payments", "--at", "2027-01-27T09:00:00+09:00")
    assert ChargeAttempt.objects.filter(invoice=invoice, number=1).exists()
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.UNPAID


def test_the_invoice_endpoint_shows_the_automatic_charges_and_the_suspension_date(
    customer, invoice, declining_card, internet
):
    run("collect_payments", at(1, 27))
    with time_machine.travel(at(1, 28), tick=False):
        body = bearer_client(customer.user).get(f"/api/invoices/{invoice.pk}").json()
    assert body["autoCharge"] == {
        "nextAttemptAt": "2027-01-30T09:00:00+09:00",
        "attempts": 1,
        "lastFailure": "The card was declined (insufficient funds). Try another card.",
    }
    assert body["suspendsOn"] == "2027-02-10"


def test_the_invoice_endpoint_says_when_a_card_will_be_charged_and_in_japanese(customer, invoice):
    PaymentMethodFactory(customer=customer, is_default=True, exp_month=12, exp_year=2026)
    with time_machine.travel(at(1, 20), tick=False):
        body = bearer_client(customer.user).get(f"/api/invoices/{invoice.pk}").json()
    assert body["autoCharge"] == {
        "nextAttemptAt": "2027-01-27T09:00:00+09:00",
        "attempts": 0,
        "lastFailure": None,
    }
    run("collect_payments", at(1, 27))
    customer.language = "ja"
    customer.save()
    with time_machine.travel(at(1, 28), tick=False):
        body = bearer_client(customer.user).get(f"/api/invoices/{invoice.pk}").json()
    assert body["autoCharge"]["lastFailure"] == "ご登録のカードの有効期限が切れています。"


def test_a_paid_invoice_has_no_planned_charge_nor_suspension_date(customer, invoice, internet):
    PaymentMethodFactory(customer=customer, is_default=True)
    run("collect_payments", at(1, 27))
    with time_machine.travel(at(1, 28), tick=False):
        body = bearer_client(customer.user).get(f"/api/invoices/{invoice.pk}").json()
    assert body["autoCharge"] == {"nextAttemptAt": None, "attempts": 1, "lastFailure": None}
    assert body["suspendsOn"] is None


def test_a_suspended_subscription_says_why_and_since_when(customer, invoice, internet):
    run("suspend_overdue", at(2, 10, 10))
    with time_machine.travel(at(2, 11), tick=False):
        client = bearer_client(customer.user)
        body = client.get(f"/api/subscriptions/{internet.pk}").json()
        listed = client.get("/api/subscriptions").json()["items"]
    assert body["status"] == "suspended"
    assert body["suspended"] == {"since": "2027-02-10T10:00:00+09:00", "reason": "non_payment"}
    assert listed[0]["suspended"] == body["suspended"]


def test_a_running_subscription_is_not_suspended(customer, internet, api):
    assert api.get(f"/api/subscriptions/{internet.pk}").json()["suspended"] is None


def test_support_sees_the_suspensions_on_the_subscription_page(
    customer, invoice, internet, client, staff_user
):
    run("suspend_overdue", at(2, 10, 10))
    client.force_login(staff_user)
    page = client.get(f"/admin/subscriptions/subscription/{internet.pk}/change/")
    assert page.status_code == 200
    assert "Non-payment" in page.content.decode()
    assert f"invoice:{invoice.pk}" in page.content.decode()
