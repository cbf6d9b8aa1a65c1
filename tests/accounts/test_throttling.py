"""Login throttling where every login passes (the authentication backend): only wrong
passwords count, per account and client address, with a doubling wait; the admin's login
too, a database that fails, wrong passwords sent at once, the client address behind proxies,
and Redis down."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD, CustomerFactory, StaffUserFactory
from tests.reliability.support import all_at_once, database_fails_on

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token"


def _token(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(
        TOKEN_URL, {"email": email, "password": password}, content_type="application/json", **extra
    )


def _admin_login(client: Client, email: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_the_admin_login_is_throttled_like_every_other_login(client, settings):
    admin = StaffUserFactory(is_superuser=True)
    for _ in range(25):
        _admin_login(client, admin.email, "wrong")
    response = _admin_login(client, admin.email, PASSWORD)
    assert response.status_code == 200  # the form again, not the redirect of a login
    assert "_auth_user_id" not in client.session


def test_the_admin_login_says_it_is_throttled_and_for_how_long(client, settings):
    admin = StaffUserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _admin_login(client, admin.email, "wrong")
    with time_machine.travel(timezone.now(), tick=False):
        english = _admin_login(client, admin.email, PASSWORD).content.decode()
        japanese = client.post(
            "/admin/login/?next=/admin/",
            {"username": admin.email, "password": PASSWORD},
            HTTP_ACCEPT_LANGUAGE="ja",
        ).content.decode()
    assert "Too many wrong passwords. Try again in 30 seconds." in english
    assert "Please enter the correct" not in english
    assert "30秒後にもう一度お試しください" in japanese


def test_wrong_passwords_on_the_admin_slow_the_api_down_too(client, settings):
    admin = StaffUserFactory()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _admin_login(client, admin.email, "wrong")
    assert _token(Client(), admin.email, PASSWORD).status_code == 429


def test_a_throttled_answer_says_when_to_come_back(client, customer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _token(client, customer.user.email, "wrong")
    with time_machine.travel(timezone.now(), tick=False):
        api = _token(client, customer.user.email, PASSWORD)
        page = client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert api.status_code == page.status_code == 429
    assert int(api["Retry-After"]) == int(page["Retry-After"]) == 30
    assert api.json()["error"]["message"] == "Too many wrong passwords. Try again in 30 seconds."


def test_each_wrong_password_past_the_limit_doubles_the_wait_up_to_the_cap(customer, settings):
    email = customer.user.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            assert _token(Client(), email, "wrong").status_code == 401
        waits = []
        for _ in range(7):
            refused = _token(Client(), email, PASSWORD)
            assert refused.status_code == 429
            waits.append(int(refused["Retry-After"]))
            clock.shift(waits[-1])
            assert _token(Client(), email, "wrong").status_code == 401
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_a_right_password_is_refused_until_the_wait_passes_then_logs_in(customer, settings):
    email = customer.user.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _token(Client(), email, "wrong")
        clock.shift(29)
        assert _token(Client(), email, PASSWORD).status_code == 429
        clock.shift(1)
        assert _token(Client(), email, PASSWORD).status_code == 200
        # A right password starts afresh: the next mistake is a mistake, not a wait.
        assert _token(Client(), email, "wrong").status_code == 401
        assert _token(Client(), email, PASSWORD).status_code == 200


def test_attempts_refused_during_a_wait_never_count(customer, settings):
    email = customer.user.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _token(Client(), email, "wrong")
        for _ in range(20):
            assert _token(Client(), email, "wrong").status_code == 429
        clock.shift(30)
        assert _token(Client(), email, "wrong").status_code == 401
        assert int(_token(Client(), email, PASSWORD)["Retry-After"]) == 60  # the second wait


def test_wrong_passwords_from_one_address_never_lock_the_account_out_elsewhere(settings):
    support = StaffUserFactory(email="support@example.com")
    attacker, colleague = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(25):
        _admin_login(attacker, support.email, "guess")
        _token(attacker, support.email, "guess")
    assert _token(attacker, support.email, PASSWORD).status_code == 429
    assert _token(colleague, support.email, PASSWORD).status_code == 200
    assert _admin_login(colleague, support.email, PASSWORD).status_code == 302


def test_a_login_the_database_fails_never_counts(customer, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    api, page = Client(raise_request_exception=False), Client(raise_request_exception=False)
    with database_fails_on("accounts_user") as failed:
        for n in range(settings.LOGIN_FAILURE_LIMIT + 1):
            assert _token(api, customer.user.email, PASSWORD).status_code >= 500
            assert _token(api, f"other{n}@example.com", PASSWORD).status_code >= 500
            response = page.post("/login", {"email": customer.user.email, "password": PASSWORD})
            assert response.status_code >= 500
    assert failed  # the database was asked, and failed, every time

    # The database is back: neither the account nor the address has anything against it.
    assert _token(api, customer.user.email, PASSWORD).status_code == 200
    response = page.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_right_password_within_the_limit_does_not_count_as_a_failure(client, customer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        _token(client, customer.user.email, "wrong")
    for _ in range(3):
        assert _token(client, customer.user.email, PASSWORD).status_code == 200
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert _token(client, customer.user.email, "wrong").status_code == 401
    assert _token(client, customer.user.email, PASSWORD).status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_are_checked_no_more_than_the_limit(settings):
    email = CustomerFactory().user.email

    outcome = all_at_once(29, lambda _i: _token(Client(), email, "wrong").status_code)

    assert not outcome.errors
    assert sorted(outcome.results).count(401) <= settings.LOGIN_FAILURE_LIMIT
    assert outcome.results.count(429) >= 29 - settings.LOGIN_FAILURE_LIMIT
    assert _token(Client(), email, PASSWORD).status_code == 429


# --- The client address behind proxies ------------------------------------------------------


@pytest.fixture
def behind_one_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = settings.XFF_TRUSTED_PROXY_DEPTH = 1
    settings.MIDDLEWARE = ["xff.middleware.XForwardedForMiddleware", *settings.MIDDLEWARE]
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    return settings


PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def test_behind_a_proxy_one_guessing_client_does_not_lock_out_everyone(client, behind_one_proxy):
    for n in range(10):
        _token(client, f"guess{n}@example.com", "x", HTTP_X_FORWARDED_FOR="203.0.113.9", **PROXY)
    customer = CustomerFactory()
    response = _token(
        client, customer.user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **PROXY
    )
    assert response.status_code == 200


def test_behind_a_proxy_a_client_cannot_escape_its_limit_by_inventing_addresses(
    client, behind_one_proxy
):
    for n in range(5):
        spoofed = f"192.0.2.{n}, 203.0.113.9"  # the proxy appends the address it saw
        _token(client, f"guess{n}@example.com", "x", HTTP_X_FORWARDED_FOR=spoofed, **PROXY)
    customer = CustomerFactory()
    response = _token(
        client, customer.user.email, PASSWORD, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9", **PROXY
    )
    assert response.status_code == 429


def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        _token(client, f"guess{n}@example.com", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    customer = CustomerFactory()
    assert _token(client, customer.user.email, PASSWORD).status_code == 429


# --- Redis down -------------------------------------------------------------------------------

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_with_the_cache_down_logins_work_and_are_still_throttled(client, customer, settings):
    settings.CACHES = DEAD_REDIS
    assert _token(client, customer.user.email, PASSWORD).status_code == 200
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert _token(client, customer.user.email, "wrong").status_code == 401
    assert _token(client, customer.user.email, PASSWORD).status_code == 429
    assert _token(client, CustomerFactory().user.email, PASSWORD).status_code == 200


def test_with_the_cache_down_the_login_page_and_the_admin_work(client, customer, settings):
    settings.CACHES = DEAD_REDIS
    response = client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert response.status_code == 302
    staff = StaffUserFactory()
    response = _admin_login(Client(), staff.email, PASSWORD)
    assert response.status_code == 302


def test_with_the_cache_down_a_reset_mail_is_still_sent_once(
    client, customer, settings, mailoutbox
):
    settings.CACHES = DEAD_REDIS
    for _ in range(2):
        client.post("/password-reset", {"email": customer.user.email})
    assert len(mailoutbox) == 1
    assert User.objects.filter(pk=customer.user.pk).exists()
