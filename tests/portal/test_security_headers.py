from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"


def _directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_only_the_redoc_page_allows_inline_styles_and_blob_workers(client):
    redoc = _directives(client.get("/api/redoc/"))
    assert redoc["style-src"] == "'self' 'unsafe-inline'"
    assert redoc["worker-src"] == "'self' blob:"
    # Its scripts are still this site's files only, and it loads nothing from elsewhere.
    assert redoc["script-src"] == "'self'"
    body = client.get("/api/redoc/").content.decode()
    assert "googleapis" not in body
    for path in ("/api/docs/", "/login"):
        others = _directives(client.get(path))
        assert others["style-src"] == "'self'", path
        assert "worker-src" not in others, path


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


def test_every_account_page_has_the_policy_and_no_inline_style_or_script(browser_client):
    for path in (
        "/account/",
        "/account/notifications",
        "/account/orders",
        "/account/orders/new",
        "/account/services",
        "/account/eligibility",
        "/account/verification",
        "/account/billing/invoices",
        "/account/billing/payment-methods",
    ):
        response = browser_client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert response["X-Frame-Options"] == "DENY", path
        body = response.content.decode()
        # The policy allows neither: an inline style or handler would silently not work.
        assert " style=" not in body, f"inline style on {path}"
        assert " onclick=" not in body and " onload=" not in body, f"inline handler on {path}"
        for chunk in body.split("<script")[1:]:
            assert "src=" in chunk.split(">", 1)[0], f"inline script on {path}"


def test_nothing_is_loaded_from_another_site(browser_client):
    body = browser_client.get("/account/").content.decode()
    for attribute in ('src="http', "src='http", 'href="http', "href='http", 'src="//', 'href="//'):
        assert attribute not in body


def test_htmx_sends_the_csrf_token_from_the_page(browser_client, customer):
    from tests.factories import NotificationFactory

    notification = NotificationFactory(user=customer.user)
    body = browser_client.get("/account/").content.decode()
    token = body.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    browser_client.handler.enforce_csrf_checks = True
    response = browser_client.post(
        f"/account/notifications/{notification.pk}/read",
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    # Without the header the same request is refused, so the cookie alone is not enough.
    refused = browser_client.post(
        f"/account/notifications/{notification.pk}/read", HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 403


def test_the_language_cookie_is_http_only(client):
    response = client.post("/language", {"language": "ja", "next": "/login"})
    cookie = response.cookies["django_language"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_production_cookies_are_secure_and_http_only():
    from tests.portal.test_settings import _run_settings

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS > 0)"
    )
    secret = "a" * 20 + "-production-secret-key-for-the-cookie-check-" + "z" * 20
    result = _run_settings({"DEBUG": "false", "SECRET_KEY": secret}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 7
