"""The benchmark data set: many light customers and one heavy customer, rebuilt on every run.

Every bench account has an email at BENCH_DOMAIN; `load_bench_data` deletes them (and, by
cascade, everything they own) before building the set again, so a run always starts from
the same state whatever the previous run changed (read-all, notify(), the broadcast).
Nothing outside BENCH_DOMAIN is touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    User,
    VerificationStatus,
)
from billing.models import Invoice, InvoiceLine, InvoiceStatus, PaymentMethod
from notifications import catalog
from notifications.models import Announcement, Notification
from orders.models import Order, OrderStatus
from portal.links import PageLink
from subscriptions.models import Plan, PlanKind, Subscription, SubscriptionStatus

BENCH_DOMAIN = "bench.example"
BENCH_PASSWORD = "bench-password-not-for-production"
LIGHT_EMAIL = f"light@{BENCH_DOMAIN}"
HEAVY_EMAIL = f"heavy@{BENCH_DOMAIN}"
# The broadcast timing's announcements start with this, so a reload removes them too.
BENCH_ANNOUNCEMENT_PREFIX = "Bench: "
BATCH_SIZE = 1000

# The tables the load writes, vacuumed and analysed afterwards (see _vacuum_analyze).
LOADED_MODELS: tuple[type[models.Model], ...] = (
    User,
    Customer,
    InternetEligibility,
    ResidenceCardVerification,
    Invoice,
    InvoiceLine,
    PaymentMethod,
    Subscription,
    Order,
    Notification,
)

Progress = Callable[[str, int, int], None]
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scale:
    """How much data to build. The defaults are the sizes DESIGN.md section 9 names."""

    customers: int = 10_000
    heavy_invoices: int = 500
    heavy_orders: int = 100
    heavy_subscriptions: int = 50
    heavy_notifications: int = 5_000
    # Every customer but the light and the heavy one.
    notifications_per_customer: int = 3

    def __post_init__(self) -> None:
        if self.customers < 2:
            raise ValueError("The bench needs at least two customers: a light and a heavy one.")
        if self.heavy_orders < 2 or self.heavy_subscriptions < 2:
            raise ValueError("The heavy customer needs at least two orders and subscriptions.")


@dataclass(frozen=True)
class BenchData:
    light_email: str
    heavy_email: str
    password: str
    customers: int


def _no_progress(label: str, done: int, total: int) -> None:
    return None


def _batches(items: Sequence[M], size: int = BATCH_SIZE) -> Iterator[Sequence[M]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk_create(label: str, objects: Sequence[M], progress: Progress) -> list[M]:
    """bulk_create in batches, reporting progress after each one."""
    created: list[M] = []
    progress(label, 0, len(objects))
    for batch in _batches(objects):
        model = type(batch[0])
        created.extend(model._default_manager.bulk_create(batch))
        progress(label, len(created), len(objects))
    return created


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def delete_bench_data(progress: Progress = _no_progress) -> int:
    """Delete every bench account and what it owns, and the bench's announcements.

    Returns the number of accounts removed.
    """
    Announcement.objects.filter(title__startswith=BENCH_ANNOUNCEMENT_PREFIX).delete()
    accounts = User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
    total = accounts.count()
    if total:
        progress("removing the previous run", 0, total)
        # Django's collector deletes the related rows in batches, following every
        # on_delete rule, including those of models added after this harness was written.
        accounts.delete()
        progress("removing the previous run", total, total)
    return total


def _bench_plans() -> tuple[Plan, Plan]:
    internet, _ = Plan.objects.update_or_create(
        code="bench-hikari-1g",
        defaults={
            "kind": PlanKind.INTERNET,
            "name": "Bench Hikari Fiber 1 Gbps",
            "monthly_price": Decimal("5280"),
            "active": False,
        },
    )
    sim, _ = Plan.objects.update_or_create(
        code="bench-sim-20gb",
        defaults={
            "kind": PlanKind.SIM,
            "name": "Bench SIM Data 20GB",
            "monthly_price": Decimal("2178"),
            "active": False,
        },
    )
    return internet, sim


def _customers(scale: Scale, password_hash: str, progress: Progress) -> list[Customer]:
    emails = [LIGHT_EMAIL, HEAVY_EMAIL] + [
        f"customer-{number:05d}@{BENCH_DOMAIN}" for number in range(1, scale.customers - 1)
    ]
    users = _bulk_create(
        "users", [User(email=email, password=password_hash) for email in emails], progress
    )
    customers = _bulk_create(
        "customers",
        [
            Customer(
                user=user,
                name=f"Bench Customer {index:05d}",
                crm_account_id=f"001BENCH{index:010d}",
                language="ja" if index % 4 == 3 else "en",
            )
            for index, user in enumerate(users)
        ],
        progress,
    )
    _bulk_create(
        "eligibility rows",
        [InternetEligibility(customer=customer) for customer in customers],
        progress,
    )
    _bulk_create(
        "verification rows",
        [ResidenceCardVerification(customer=customer) for customer in customers],
        progress,
    )
    return customers


def _heavy_gates(heavy: Customer, now: datetime) -> None:
    InternetEligibility.objects.filter(customer=heavy).update(
        status=EligibilityStatus.ELIGIBLE,
        postal_code="150-0001",
        address="1-2-3 Jingumae, Shibuya-ku, Tokyo",
        requested_at=now - timedelta(days=400),
        checked_at=now - timedelta(days=398),
    )
    ResidenceCardVerification.objects.filter(customer=heavy).update(
        status=VerificationStatus.VERIFIED,
        submitted_at=now - timedelta(days=390),
        reviewed_at=now - timedelta(days=389),
        card_expires_on=(now + timedelta(days=700)).date(),
    )


def _heavy_subscriptions(
    heavy: Customer, scale: Scale, plans: tuple[Plan, Plan], now: datetime, progress: Progress
) -> list[Subscription]:
    internet, sim = plans
    subscriptions = []
    for index in range(scale.heavy_subscriptions):
        is_internet = index == 0
        # A business account: one internet line, many SIM lines, a few of them cancelled.
        cancelled = index >= scale.heavy_subscriptions - max(1, scale.heavy_subscriptions // 10)
        activated_at = now - timedelta(days=700 - index * 5)
        subscriptions.append(
            Subscription(
                customer=heavy,
                plan=internet if is_internet else sim,
                status=SubscriptionStatus.CANCELLED if cancelled else SubscriptionStatus.ACTIVE,
                activated_at=activated_at,
                cancelled_at=now - timedelta(days=30) if cancelled else None,
                msisdn="" if is_internet else f"080{index:08d}",
                iccid="" if is_internet else f"8981100{index:015d}",
                line_id=f"BENCH-LINE-{index:04d}" if is_internet else "",
                installation_address="1-2-3 Jingumae, Shibuya-ku, Tokyo" if is_internet else "",
            )
        )
    return _bulk_create("heavy: subscriptions", subscriptions, progress)


def _heavy_orders(
    heavy: Customer,
    scale: Scale,
    plans: tuple[Plan, Plan],
    subscriptions: list[Subscription],
    now: datetime,
    progress: Progress,
) -> None:
    internet, sim = plans
    orders = []
    for index in range(scale.heavy_orders):
        placed_at = now - timedelta(days=scale.heavy_orders * 7 - index * 7)
        # The last two are open (one per kind, as the database allows); every fifth
        # of the others was cancelled; the rest were activated into a subscription.
        if index == scale.heavy_orders - 2:
            plan, status = internet, OrderStatus.PENDING_REVIEW
        elif index == scale.heavy_orders - 1:
            plan, status = sim, OrderStatus.PROVISIONING
        elif index % 5 == 4:
            plan, status = sim, OrderStatus.CANCELLED
        else:
            plan, status = (internet if index == 0 else sim), OrderStatus.ACTIVATED
        activated = status == OrderStatus.ACTIVATED
        orders.append(
            Order(
                customer=heavy,
                number=f"B{index:07d}",
                external_id=f"801BENCH{index:010d}",
                plan=plan,
                kind=plan.kind,
                status=status,
                placed_at=placed_at,
                approved_at=placed_at + timedelta(hours=2) if activated else None,
                provisioning_at=placed_at + timedelta(hours=3) if activated else None,
                activated_at=placed_at + timedelta(days=2) if activated else None,
                cancelled_at=placed_at + timedelta(days=1)
                if status == OrderStatus.CANCELLED
                else None,
            )
        )
    # Link activated orders to subscriptions of the same kind, one each.
    free: dict[str, list[Subscription]] = {PlanKind.INTERNET: [], PlanKind.SIM: []}
    for subscription in subscriptions:
        free[subscription.plan.kind].append(subscription)
    for order in orders:
        if order.status == OrderStatus.ACTIVATED and free[order.kind]:
            order.subscription = free[order.kind].pop(0)
    _bulk_create("heavy: orders", orders, progress)


def _heavy_invoices(heavy: Customer, scale: Scale, now: datetime, progress: Progress) -> None:
    today = timezone.localdate(now)
    invoices = []
    for index in range(scale.heavy_invoices):
        # Newest first: index 0 is issued today. Unpaid: the newest few (one due
        # soon, a few overdue), so the dashboard has real invoice tasks to show.
        issued_on = today - timedelta(days=index * 3)
        due_date = issued_on + timedelta(days=5)
        unpaid = index < 6
        total = Decimal(2178 + (index % 7) * 550)
        invoices.append(
            Invoice(
                customer=heavy,
                number=f"BENCH-{index:07d}",
                issued_on=issued_on,
                due_date=due_date,
                total=total,
                tax=(total / Decimal(11)).quantize(Decimal("1")),
                status=InvoiceStatus.UNPAID if unpaid else InvoiceStatus.PAID,
                paid_at=None if unpaid else _at(due_date - timedelta(days=1)),
            )
        )
    invoices = _bulk_create("heavy: invoices", invoices, progress)
    _bulk_create(
        "heavy: invoice lines",
        [
            InvoiceLine(invoice=invoice, description="Monthly charges", amount=invoice.total)
            for invoice in invoices
        ],
        progress,
    )


def _heavy_payment_methods(heavy: Customer) -> None:
    PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                customer=heavy,
                processor_reference=f"pm_bench_{heavy.pk}_{number}",
                brand="Visa",
                last4=f"42{number:02d}",
                exp_month=12,
                exp_year=2030,
                is_default=number == 0,
            )
            for number in range(2)
        ]
    )


_PLACEHOLDER = re.compile(r"%\((\w+)\)")
_SAMPLE_VALUES: dict[str, Any] = {
    "address": "1-2-3 Jingumae, Shibuya-ku, Tokyo",
    "brand": "Visa",
    "invoice_id": 1,
    "invoice_number": "BENCH-0000001",
    "last4": "4242",
    "order_id": 1,
    "order_number": "B0000001",
    "plan_name": "Bench SIM Data 20GB",
    "subscription_id": 1,
    "due_date": date(2026, 12, 31),
    "effective_on": date(2026, 12, 31),
    "expires_on": date(2027, 3, 31),
    "announcement_id": 1,
}


def sample_context(template: catalog.NotificationTemplate) -> dict[str, Any]:
    """A value for every placeholder of `template`, including ones added after this was
    written (those get a readable sample text)."""
    link = template.action_url
    texts = (str(template.title), str(template.message), link if isinstance(link, str) else "")
    names = {name for text in texts for name in _PLACEHOLDER.findall(text)}
    names.update(link.args if isinstance(link, PageLink) else ())
    return {name: _SAMPLE_VALUES.get(name, f"sample {name.replace('_', ' ')}") for name in names}


@cache
def _encoded_catalog() -> tuple[list[catalog.NotificationTemplate], dict[str, dict[str, Any]]]:
    templates = [
        template for template in catalog.CATALOG.values() if template.type != "SYSTEM_ANNOUNCEMENT"
    ]
    contexts = {
        template.type: catalog.encode_context(sample_context(template)) for template in templates
    }
    return templates, contexts


def _sample_notifications(
    *, user_id: int, count: int, language: str, now: datetime
) -> Iterator[Notification]:
    """`count` notifications over the last 25 days: a fifth unread, one in twenty dismissed.

    Announcements are left out: the broadcast timing counts the ones it creates.
    """
    templates, contexts = _encoded_catalog()
    step = timedelta(days=25) / max(1, count)
    for index in range(count):
        template = templates[index % len(templates)]
        created_at = now - step * (index + 1)
        unread = index % 5 == 0
        dismissed = index % 20 == 1
        yield Notification(
            user_id=user_id,
            type=template.type,
            context=contexts[template.type],
            category=template.category,
            severity=template.severity,
            source=template.source,
            source_id=f"bench-{index}",
            created_at=created_at,
            read_at=None if unread else created_at + timedelta(hours=1),
            archived_at=created_at + timedelta(hours=2) if dismissed else None,
            expires_at=created_at + template.expiry,
            updated_at=created_at,
        )


def _notifications(
    customers: list[Customer], scale: Scale, now: datetime, progress: Progress
) -> None:
    light, heavy, others = customers[0], customers[1], customers[2:]
    assert light.user.email == LIGHT_EMAIL and heavy.user.email == HEAVY_EMAIL
    _bulk_create(
        "heavy: notifications",
        list(
            _sample_notifications(
                user_id=heavy.user_id,
                count=scale.heavy_notifications,
                language=heavy.language,
                now=now,
            )
        ),
        progress,
    )
    # The other customers' few notifications make the heavy customer's rows a small
    # part of the table, as in production, so the planner chooses as it would there.
    _bulk_create(
        "others: notifications",
        [
            notification
            for customer in others
            for notification in _sample_notifications(
                user_id=customer.user_id,
                count=scale.notifications_per_customer,
                language=customer.language,
                now=now,
            )
        ],
        progress,
    )


def _vacuum_analyze() -> None:
    """Do now what autovacuum does soon after a bulk load in production.

    ANALYZE gives the planner the new sizes; VACUUM sets the visibility map, without
    which no index-only scan is chosen for freshly written rows.
    """
    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run inside a transaction (a caller's atomic block, a test); ANALYZE can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in LOADED_MODELS:
            cursor.execute(f'{command} "{model._meta.db_table}"')


def load_bench_data(
    *, scale: Scale | None = None, now: datetime | None = None, progress: Progress = _no_progress
) -> BenchData:
    """Delete the previous bench accounts and build the data set of `scale` again.

    One password hash is computed and shared by every account: hashing ten thousand
    passwords would take longer than the whole benchmark.
    """
    scale = scale or Scale()
    now = now or timezone.now()
    # One transaction: a run that fails half-way leaves the previous data set whole.
    with transaction.atomic():
        delete_bench_data(progress)
        plans = _bench_plans()
        customers = _customers(scale, make_password(BENCH_PASSWORD), progress)
        heavy = customers[1]
        _heavy_gates(heavy, now)
        subscriptions = _heavy_subscriptions(heavy, scale, plans, now, progress)
        _heavy_orders(heavy, scale, plans, subscriptions, now, progress)
        _heavy_invoices(heavy, scale, now, progress)
        _heavy_payment_methods(heavy)
        _notifications(customers, scale, now, progress)
    _vacuum_analyze()
    return BenchData(
        light_email=LIGHT_EMAIL,
        heavy_email=HEAVY_EMAIL,
        password=BENCH_PASSWORD,
        customers=len(customers),
    )
