"""Fixtures shared by the whole suite, and the rules for tests that need real services."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from redis.exceptions import RedisError
from rest_framework.test import APIClient

from accounts.models import Customer, User
from accounts.tokens import issue_tokens
from portal import counters
from portal.celery import app as celery_app
from tests.factories import CustomerFactory, StaffUserFactory

REQUIRE_SERVICES = bool(os.environ.get("REQUIRE_SERVICES"))


def _on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or ""


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(path):
            return path
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = {
        "postgres": None
        if _on_postgres()
        else "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal",
        "redis": None
        if _redis_url()
        else "needs Redis: set REDIS_URL and CELERY_BROKER_URL=redis://127.0.0.1:6379/1",
        "browser": None
        if _chromium()
        else "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
        "poppler": None
        if shutil.which("pdftoppm") and shutil.which("pdftotext")
        else "needs pdftoppm and pdftotext to render PDFs (apt-get install poppler-utils)",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and item.get_closest_marker(marker):
                if REQUIRE_SERVICES:
                    # CI promises these run: a missing service fails the run, never a skip.
                    raise pytest.UsageError(f"REQUIRE_SERVICES is set but a test {reason}")
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _isolated_state(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every test starts with an empty cache, in English, and runs Celery tasks in-process."""
    # Factories set a password for every user; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    counters.reset_fallback()
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    with contextlib.suppress(RedisError):  # a test that took the cache down
        cache.clear()
    counters.reset_fallback()
    # A service that renders in the customer's language must not leave it on for the next test.
    translation.deactivate()


@pytest.fixture
def customer(db: None) -> Customer:
    return CustomerFactory(name="Alice Example")


@pytest.fixture
def other_customer(db: None) -> Customer:
    return CustomerFactory(name="Bob Other")


@pytest.fixture
def staff_user(db: None) -> User:
    return StaffUserFactory()


def bearer_client(user: User) -> APIClient:
    """An API client with an access token of a login as the apps get one (with its family)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access_token}")
    return client


@pytest.fixture
def api(customer: Customer) -> APIClient:
    """An API client logged in as `customer` with a real Bearer token."""
    return bearer_client(customer.user)


@pytest.fixture
def other_api(other_customer: Customer) -> APIClient:
    return bearer_client(other_customer.user)


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()


@pytest.fixture
def browser_client(client, customer: Customer):  # type: ignore[no-untyped-def]
    """Django's test client with `customer` logged in through the session."""
    client.force_login(customer.user)
    return client
