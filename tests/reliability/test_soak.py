"""A minute of mixed load against the portal as deployed: gunicorn (2 processes x 4 threads)
on PostgreSQL, a Celery worker on Redis, every request over HTTP on 127.0.0.1.

Customers read their dashboard (API and page), their notifications and services, and cancel
services; support approves orders in the admin. Afterwards, once the worker has caught up:
- no answer was a 5xx;
- nothing was lost: every accepted cancellation has its notification, every approval its
  subscription and ORDER_ACTIVATED, every overdue invoice exactly one reminder however many
  dashboard reads raced for it;
- open database connections did not grow: before and after the load the web processes hold
  at most one connection per server thread (they keep it between requests, CONN_MAX_AGE),
  after it every one of them is idle, none left inside a transaction, and the worker holds
  none (Celery closes them after each task).

Marked `slow`: about a minute and a half. `SOAK_SECONDS` changes the length of the load.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Customer, User
from notifications.models import Notification
from orders.models import Order, OrderStatus
from outbox.models import OutboxMessage
from subscriptions.models import Subscription
from subscriptions.services import offered_effective_dates
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentMethodFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.orders.support import ready_to_order, sim_plan
from tests.reliability.processes import celery_worker, gunicorn, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

LOAD_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
WEB_WORKERS, WEB_THREADS = 2, 4
CUSTOMERS = 6
SERVICES_PER_CUSTOMER = 60  # a cancellation every fifth round, for the whole minute
ORDERS_TO_APPROVE = 40


@dataclass
class Tally:
    """Every answer the load got, by request and status."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    cancelled: list[int] = field(default_factory=list)
    approved: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[(name, response.status_code)] += 1
        return response

    def server_errors(self) -> dict[tuple[str, int], int]:
        return {key: count for key, count in self.statuses.items() if key[1] >= 500}


@dataclass
class Shopper:
    customer: Customer
    token: str
    session_cookie: str
    services: list[int]


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)  # the session row is committed: gunicorn reads the same table
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _prepare_shopper() -> Shopper:
    customer = CustomerFactory()
    PaymentMethodFactory(customer=customer, is_default=True)
    overdue = timezone.localdate() - timedelta(days=5)
    InvoiceFactory(customer=customer, due_date=overdue)
    services = [
        SubscriptionFactory(customer=customer, plan=sim_plan()).pk
        for _ in range(SERVICES_PER_CUSTOMER)
    ]
    token = str(RefreshToken.for_user(customer.user).access_token)
    return Shopper(customer, token, _session_cookie(customer.user), services)


def _shopper_load(base: str, shopper: Shopper, tally: Tally, deadline: float) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {shopper.token}"
    browser = requests.Session()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, shopper.session_cookie)
    effective_on = offered_effective_dates(now=timezone.now())[0].isoformat()
    pending = shopper.services  # shared by the warm-up and the load: each service once
    rounds = 0
    while time.monotonic() < deadline and rounds < 10_000:
        rounds += 1
        tally.record("me/status", api.get(f"{base}/api/me/status", timeout=30))
        tally.record("notifications", api.get(f"{base}/api/notifications?limit=20", timeout=30))
        tally.record("dashboard page", browser.get(f"{base}/account/", timeout=30))
        if pending and rounds % 5 == 1:
            service_id = pending.pop()
            answer = tally.record(
                "cancel",
                api.post(
                    f"{base}/api/subscriptions/{service_id}/cancellation",
                    json={"effectiveOn": effective_on, "reason": "moving"},
                    timeout=30,
                ),
            )
            if answer.status_code == 202:
                with tally.lock:
                    tally.cancelled.append(answer.json()["id"])
        tally.record("unread count", api.get(f"{base}/api/notifications/unread-count", timeout=30))
        tally.record("services page", browser.get(f"{base}/account/services", timeout=30))
        if rounds % 5 == 0:
            tally.record("read all", api.post(f"{base}/api/notifications/read-all", timeout=30))


def _support_load(base: str, cookie: str, orders: list[int], tally: Tally, deadline: float) -> None:
    admin = requests.Session()
    admin.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
    tally.record("admin list", admin.get(f"{base}/admin/orders/order/", timeout=30))
    csrf = admin.cookies.get("csrftoken") or ""
    pending = list(orders)
    while time.monotonic() < deadline and pending:
        order_id = pending.pop()
        answer = tally.record(
            "approve",
            admin.post(
                f"{base}/admin/orders/order/{order_id}/approve/",
                data={"csrfmiddlewaretoken": csrf},
                allow_redirects=False,
                timeout=30,
            ),
        )
        if answer.status_code == 302:
            with tally.lock:
                tally.approved.append(order_id)
        tally.record("admin order", admin.get(f"{base}/admin/orders/order/{order_id}/change/"))
        time.sleep(LOAD_SECONDS / ORDERS_TO_APPROVE / 2)  # support works at a human pace


def _connections() -> dict[str, list[str]]:
    """State of each open connection to the test database, by application name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name, state FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'soak-%%'"
        )
        found: dict[str, list[str]] = {}
        for name, state in cursor.fetchall():
            found.setdefault(name, []).append(state)
        return found


def _run(threads: list[Callable[[], None]]) -> None:
    running = [threading.Thread(target=work) for work in threads]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=LOAD_SECONDS + 120)
    assert not any(thread.is_alive() for thread in running), "a load thread did not finish"


def test_a_minute_of_mixed_load_loses_nothing_and_leaks_no_connections(tmp_path: Path):
    shoppers = [_prepare_shopper() for _ in range(CUSTOMERS)]
    buyers = [ready_to_order(CustomerFactory()) for _ in range(ORDERS_TO_APPROVE)]
    orders = [OrderFactory(customer=buyer, plan=sim_plan()).pk for buyer in buyers]
    staff_cookie = _session_cookie(StaffUserFactory())
    tally = Tally()

    with (
        celery_worker(tmp_path, application_name="soak-worker") as worker,
        gunicorn(
            tmp_path, workers=WEB_WORKERS, threads=WEB_THREADS, application_name="soak-web"
        ) as base,
    ):
        # A short warm-up, then the connections the web processes keep between requests.
        warm_up = time.monotonic() + 5
        _run([lambda s=s: _shopper_load(base, s, tally, warm_up) for s in shoppers])
        before = _connections()

        deadline = time.monotonic() + LOAD_SECONDS
        _run(
            [lambda s=s: _shopper_load(base, s, tally, deadline) for s in shoppers]
            + [lambda: _support_load(base, staff_cookie, orders, tally, deadline)]
        )

        def caught_up() -> bool:
            activated = Order.objects.filter(
                pk__in=tally.approved, status=OrderStatus.ACTIVATED
            ).count()
            notified = Notification.objects.filter(type="CANCELLATION_SCHEDULED").count()
            pending = OutboxMessage.objects.filter(sent_at__isnull=True).exists()
            return (
                not pending
                and activated == len(tally.approved)
                and notified >= len(tally.cancelled)
            )

        wait_for(caught_up, what="the worker to catch up", process=worker, timeout=120)
        time.sleep(1)  # let the last requests and tasks close what they opened
        after = _connections()

    assert tally.server_errors() == {}, tally.statuses
    assert sum(tally.statuses.values()) > 500, "the load hardly ran"
    assert tally.cancelled and tally.approved

    # Nothing lost, nothing doubled.
    cancellations = Notification.objects.filter(type="CANCELLATION_SCHEDULED")
    assert sorted(int(n.source_id) for n in cancellations) == sorted(tally.cancelled)
    for order in Order.objects.filter(pk__in=tally.approved).select_related("customer__user"):
        assert order.status == OrderStatus.ACTIVATED
        types = Notification.objects.filter(source_id=order.external_id).values_list(
            "type", flat=True
        )
        assert sorted(types) == ["ORDER_ACTIVATED", "ORDER_APPROVED"]
    assert Subscription.objects.filter(customer__in=buyers).count() == len(tally.approved)
    for shopper in shoppers:
        reminders = Notification.objects.filter(user=shopper.customer.user, type="INVOICE_DUE")
        assert reminders.count() == 1

    # No growth: one idle connection per server thread at most, as before the load.
    ceiling = WEB_WORKERS * WEB_THREADS
    web_before, web_after = before.get("soak-web", []), after.get("soak-web", [])
    assert len(web_before) <= ceiling and len(web_after) <= ceiling, (before, after)
    assert set(web_after) <= {"idle"}, after
    assert after.get("soak-worker", []) == [], after
