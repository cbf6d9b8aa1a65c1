"""Logins against the Procfile's own web process (gunicorn, uvicorn workers, DEBUG off).

The database drops every connection and refuses new ones (a relay in front of PostgreSQL,
as a restart or a failover does it) while a customer logs in with the right password, again
and again: the attempts fail, and none of them counts against the account or the address,
so the customer logs in as soon as the database is back. And the client address comes
from TRUSTED_PROXY_COUNT alone: with 0, a forged X-Forwarded-For is the client's own word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import User
from tests.factories import PASSWORD, CustomerFactory
from tests.reliability.processes import database_relay, procfile_web

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _customer(email: str) -> User:
    """A customer whose password the web process can check: the test suite's own hasher is
    not in the deployed settings."""
    user = CustomerFactory(user__email=email).user
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "reliabilitysalt", iterations=1000)
    user.save(update_fields=["password"])
    return user


def _token(base_url: str, email: str, password: str, **headers: str) -> requests.Response:
    return requests.post(
        f"{base_url}/api/auth/token",
        json={"email": email, "password": password},
        headers=headers,
        timeout=20,
    )


def _page_login(base_url: str, email: str, password: str) -> requests.Response:
    browser = requests.Session()
    browser.get(f"{base_url}/login", timeout=20)
    form: dict[str, Any] = {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        "email": email,
        "password": password,
    }
    return browser.post(f"{base_url}/login", data=form, allow_redirects=False, timeout=20)


def test_logins_while_the_database_refuses_count_nothing(tmp_path: Path):
    user = _customer("blip@example.com")
    with (
        database_relay() as relay,
        procfile_web(tmp_path, database=relay.address, LOGIN_ADDRESS_FAILURE_LIMIT="3") as web,
    ):
        assert _token(web, user.email, PASSWORD).status_code == 200
        relay.refuse()  # the open connection is dropped too

        answers = []
        for n in range(6):
            answers.append(_token(web, user.email, PASSWORD).status_code)
            answers.append(_token(web, f"someone{n}@example.com", "a guess").status_code)
        relay.restore()

        assert all(status >= 500 for status in answers), answers  # never 429
        # Back: neither the account nor the address has anything against it.
        assert _token(web, user.email, PASSWORD).status_code == 200
        assert _page_login(web, user.email, PASSWORD).status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_address_changes_nothing(tmp_path: Path):
    user = _customer("forged@example.com")
    with procfile_web(tmp_path, TRUSTED_PROXY_COUNT="0") as web:
        for n in range(5):
            wrong = _token(web, user.email, "a guess", **{"X-Forwarded-For": f"192.0.2.{n}"})
            assert wrong.status_code == 401
        # Every guess came from this test's own address, whatever the header said.
        right = _token(web, user.email, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})

    assert right.status_code == 429


def test_behind_one_proxy_the_address_it_saw_is_the_client(tmp_path: Path):
    user = _customer("proxied@example.com")
    with procfile_web(tmp_path, TRUSTED_PROXY_COUNT="1") as web:
        for n in range(5):
            # The client wrote the first address; the proxy appended the one it saw.
            forwarded = {"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.9"}
            assert _token(web, user.email, "a guess", **forwarded).status_code == 401
        same_client = _token(
            web, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.99, 203.0.113.9"}
        )
        another_client = _token(
            web, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}
        )

    assert same_client.status_code == 429
    assert another_client.status_code == 200
