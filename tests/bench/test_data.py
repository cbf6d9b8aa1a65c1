from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Customer, InternetEligibility, ResidenceCardVerification, User
from bench.data import BENCH_PASSWORD, HEAVY_EMAIL, LIGHT_EMAIL, Scale, load_bench_data
from bench.seed import Command as SeedBench
from billing.models import Invoice, InvoiceStatus
from notifications.models import Announcement, Notification
from orders.models import OPEN_ORDER_STATUSES, Order
from subscriptions.models import Subscription
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TINY = Scale(
    customers=20,
    heavy_invoices=12,
    heavy_orders=10,
    heavy_subscriptions=5,
    heavy_notifications=40,
    notifications_per_customer=3,
)


def _bench_customers():
    return Customer.objects.filter(user__email__endswith="@bench.example")


def test_tiny_scale_builds_the_customers_it_says():
    data = load_bench_data(scale=TINY)

    assert data.customers == 20
    assert _bench_customers().count() == 20
    assert InternetEligibility.objects.filter(customer__in=_bench_customers()).count() == 20
    assert ResidenceCardVerification.objects.filter(customer__in=_bench_customers()).count() == 20


def test_the_heavy_customer_has_the_promised_rows():
    load_bench_data(scale=TINY)
    heavy = Customer.objects.get(user__email=HEAVY_EMAIL)

    assert Invoice.objects.filter(customer=heavy).count() == 12
    assert Invoice.objects.filter(customer=heavy, status=InvoiceStatus.UNPAID).exists()
    assert Order.objects.filter(customer=heavy).count() == 10
    open_kinds = sorted(
        Order.objects.filter(customer=heavy, status__in=OPEN_ORDER_STATUSES).values_list(
            "kind", flat=True
        )
    )
    assert open_kinds == ["internet", "sim"]
    assert Subscription.objects.filter(customer=heavy).count() == 5
    assert Notification.objects.filter(user=heavy.user).count() == 40
    assert Notification.objects.filter(user=heavy.user, read_at__isnull=True).count() == 8


def test_the_light_customer_has_nothing_and_the_others_a_few_notifications():
    load_bench_data(scale=TINY)
    light = Customer.objects.get(user__email=LIGHT_EMAIL)

    assert not Invoice.objects.filter(customer=light).exists()
    assert not Order.objects.filter(customer=light).exists()
    assert not Subscription.objects.filter(customer=light).exists()
    assert not Notification.objects.filter(user=light.user).exists()
    others = User.objects.filter(email__startswith="customer-")
    assert others.count() == 18
    assert Notification.objects.filter(user__in=others).count() == 18 * 3


def test_every_bench_account_logs_in_with_the_one_shared_password():
    load_bench_data(scale=TINY)

    hashes = set(
        User.objects.filter(email__endswith="@bench.example").values_list("password", flat=True)
    )
    assert len(hashes) == 1
    assert User.objects.get(email=HEAVY_EMAIL).check_password(BENCH_PASSWORD)


def test_loading_again_replaces_the_previous_run_and_nothing_else():
    bystander = CustomerFactory(name="Not A Bench Customer")
    load_bench_data(scale=TINY)
    heavy = User.objects.get(email=HEAVY_EMAIL)
    Notification.objects.filter(user=heavy).update(read_at=None)

    load_bench_data(scale=TINY)

    assert _bench_customers().count() == 20
    assert Invoice.objects.count() == 12
    heavy = User.objects.get(email=HEAVY_EMAIL)
    assert Notification.objects.filter(user=heavy, read_at__isnull=True).count() == 8
    assert Customer.objects.filter(pk=bystander.pk).exists()


def test_loading_again_removes_the_bench_announcements_only():
    Announcement.objects.create(title="Bench: scheduled maintenance (old)", message="Old.")
    Announcement.objects.create(title="Real maintenance", message="Real.")

    load_bench_data(scale=TINY)

    assert list(Announcement.objects.values_list("title", flat=True)) == ["Real maintenance"]


def test_scale_needs_a_light_and_a_heavy_customer():
    with pytest.raises(ValueError, match="at least two customers"):
        Scale(customers=1)


def test_seed_bench_shows_progress_and_what_it_built():
    out = StringIO()
    call_command(
        SeedBench(),
        "--force",
        "--customers=6",
        "--heavy-invoices=3",
        "--heavy-orders=4",
        "--heavy-subscriptions=2",
        "--heavy-notifications=5",
        stdout=out,
    )

    output = out.getvalue()
    assert "users" in output
    assert "[##############################] 100% 6/6" in output
    assert "Benchmark data is ready: 6 customers" in output
    assert _bench_customers().count() == 6


def test_seed_bench_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command(SeedBench(), "--customers=2", stdout=StringIO())
    assert not _bench_customers().exists()


def test_seed_bench_reports_a_scale_it_cannot_build():
    with pytest.raises(CommandError, match="at least two customers"):
        call_command(SeedBench(), "--force", "--customers=1", stdout=StringIO())
