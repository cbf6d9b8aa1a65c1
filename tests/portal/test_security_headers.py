from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"


def test_pages_cannot_be_framed_and_do_not_leak_referrers(client):
    response = client.get("/login")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_page_has_an_inline_script(browser_client):
    for path in ("/login", "/account/"):
        body = browser_client.get(path).content.decode()
        for chunk in body.split("<script")[1:]:
            assert "src=" in chunk.split(">", 1)[0], f"inline script on {path}"


def test_session_and_csrf_cookies_are_http_only(client, customer):
    from tests.factories import PASSWORD

    client.get("/login")
    response = client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert response.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["httponly"]
