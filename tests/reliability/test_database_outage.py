"""The database connection drops under a running worker and under a web process.

PostgreSQL ends the connection (`pg_terminate_backend`, what a restart or a failover does to
every client) while a Celery worker is in the middle of fulfilling an order, holding the
order's row lock: the attempt rolls back, the task retries with a short backoff, and the
order ends activated with one subscription and one notification of each type. A web
process keeps its connection between requests (CONN_MAX_AGE); when that connection is
killed, CONN_HEALTH_CHECKS makes the next request reconnect instead of failing. A web
process (as the Procfile runs it) whose database refuses every connection answers 503, in
the error shape on the API and with the branded page on pages, and stays alive.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from orders.models import OrderStatus
from orders.services.review import approve_order
from subscriptions.models import Subscription
from tests.factories import CustomerFactory, OrderFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.processes import (
    HOST,
    asgi_server,
    celery_worker,
    free_port,
    gunicorn,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _backends(application_name: str) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return [(pid, state) for pid, state in cursor.fetchall()]


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)


def test_a_connection_killed_in_the_middle_of_fulfillment_is_retried_to_completion(tmp_path: Path):
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "armed").touch()
    customer = ready_to_order(CustomerFactory())
    order = OrderFactory(customer=customer, plan=sim_plan())

    with celery_worker(
        tmp_path,
        PROVISIONING_ADAPTER="tests.reliability.adapters.PausingProvisioningAdapter",
        RELIABILITY_PAUSE_DIR=str(pause),
    ) as worker:
        approve_order(order_id=order.pk)  # commits; the task goes to the broker
        wait_for(lambda: (pause / "waiting").exists(), what="provisioning to start", process=worker)

        # The worker holds the order's row lock in an open transaction: end its connection.
        [(pid, state)] = _backends("reliability-worker")
        assert state == "idle in transaction"
        _terminate(pid)
        (pause / "release").touch()

        def activated() -> bool:
            order.refresh_from_db()
            return order.status == OrderStatus.ACTIVATED

        wait_for(activated, what="the retried task to activate the order", process=worker)
        log = worker.log_tail(20_000)

    assert "OperationalError" in log and "retry" in log.lower()
    assert (pause / "calls").read_text().split() == [str(order.pk)] * 2  # asked twice
    assert order.provisioning_attempts == 1  # the lost attempt rolled back with its count
    assert Subscription.objects.filter(customer=customer).count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


def test_a_web_process_reconnects_after_its_idle_connection_is_killed(tmp_path: Path):
    customer = CustomerFactory()
    token = str(RefreshToken.for_user(customer.user).access_token)
    headers = {"Authorization": f"Bearer {token}"}

    with gunicorn(tmp_path, workers=1, threads=1, CONN_MAX_AGE="600") as base_url:
        assert requests.get(f"{base_url}/api/me", headers=headers, timeout=10).status_code == 200
        # The same thread keeps its connection for the next request: kill it in between.
        [(pid, state)] = _backends("reliability-web")
        assert state == "idle"
        _terminate(pid)

        answer = requests.get(f"{base_url}/api/me", headers=headers, timeout=10)

    assert answer.status_code == 200, answer.text
    assert answer.json()["email"] == customer.user.email


def test_a_web_process_whose_database_refuses_connections_answers_503(tmp_path: Path):
    customer = CustomerFactory()
    token = str(RefreshToken.for_user(customer.user).access_token)
    # Nothing listens there: every connection is refused, as while PostgreSQL is down.
    gone = f"postgres://postgres@{HOST}:{free_port()}/portal"

    with asgi_server(tmp_path, DATABASE_URL=gone) as base_url:
        api = requests.get(
            f"{base_url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        login = requests.post(
            f"{base_url}/api/auth/token",
            json={"email": customer.user.email, "password": "whatever"},
            timeout=10,
        )
        page = requests.get(
            f"{base_url}/account/",
            cookies={"sessionid": "a-session-the-database-would-know"},
            headers={"Accept-Language": "ja"},
            timeout=10,
        )
        ready = requests.get(f"{base_url}/readyz", timeout=10)
        alive = requests.get(f"{base_url}/healthz", timeout=10)

    assert api.status_code == 503, api.text
    assert api.json()["error"]["code"] == "service_unavailable"
    assert login.status_code == 503, login.text
    assert login.json()["error"]["code"] == "service_unavailable"
    assert page.status_code == 503
    assert "ただいまポータルを一時的にご利用いただけません" in page.text
    assert ready.status_code == 503
    assert alive.status_code == 200
