"""Redis is optional for correctness: the dashboard answers from the database without it.

A `redis-server` of the test's own, on a free port, is the cache; it is stopped half way.
`GET /api/me/status`, `GET /api/me/summary` and the `/account/` page answer 200 before and
after, with the same snapshot.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import caches

from tests.conftest import bearer_client
from tests.factories import InvoiceFactory, OrderFactory
from tests.reliability.processes import HOST, free_port, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(settings) -> Iterator[subprocess.Popen[bytes]]:
    """The cache is a redis-server started for this test (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://{HOST}:{port}/0"
    wait_for(lambda: _answers(url), timeout=10, what="redis-server")
    configured = settings.CACHES
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    caches.close_all()
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)
        # Back before the suite's own teardown clears the cache.
        settings.CACHES = configured
        caches.close_all()


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


def test_the_dashboard_answers_from_the_database_when_redis_stops(own_redis, customer, client):
    InvoiceFactory(customer=customer)
    OrderFactory(customer=customer)
    api = bearer_client(customer.user)
    client.force_login(customer.user)
    before = api.get("/api/me/status")
    assert before.status_code == 200
    assert client.get("/account/").status_code == 200

    own_redis.terminate()
    own_redis.wait(timeout=10)

    after = api.get("/api/me/status")
    assert after.status_code == 200
    assert after.json() == before.json()
    assert api.get("/api/me/summary").status_code == 200
    page = client.get("/account/")
    assert page.status_code == 200
    assert customer.name in page.content.decode()
