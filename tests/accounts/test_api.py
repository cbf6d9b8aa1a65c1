from __future__ import annotations

import pytest

from tests.factories import PASSWORD, CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_token_login_returns_access_refresh_and_lifetime(anonymous_api, customer):
    response = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "accessExpiresIn"}
    assert body["accessExpiresIn"] == 15 * 60


def test_email_is_not_case_sensitive(anonymous_api, customer):
    response = anonymous_api.post(
        "/api/auth/token",
        {"email": customer.user.email.upper(), "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200


def test_wrong_password_is_a_401(anonymous_api, customer):
    response = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": "wrong"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(anonymous_api, customer):
    wrong = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": "wrong"}, format="json"
    )
    unknown = anonymous_api.post(
        "/api/auth/token", {"email": "nobody@example.com", "password": "wrong"}, format="json"
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_repeated_wrong_passwords_for_one_account_are_throttled(anonymous_api, customer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = anonymous_api.post(
            "/api/auth/token", {"email": customer.user.email, "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
    response = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


def test_throttling_one_account_leaves_others_alone(
    anonymous_api, customer, other_customer, settings
):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        anonymous_api.post(
            "/api/auth/token", {"email": customer.user.email, "password": "x"}, format="json"
        )
    response = anonymous_api.post(
        "/api/auth/token", {"email": other_customer.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_one_address_trying_many_accounts_is_throttled(anonymous_api, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        anonymous_api.post(
            "/api/auth/token", {"email": f"guess{n}@example.com", "password": "x"}, format="json"
        )
    customer = CustomerFactory()
    response = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429


def test_refresh_gives_a_new_access_token_and_a_new_refresh_token(anonymous_api, customer):
    tokens = anonymous_api.post(
        "/api/auth/token", {"email": customer.user.email, "password": PASSWORD}, format="json"
    ).json()
    response = anonymous_api.post(
        "/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh", "accessExpiresIn"}
    anonymous_api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert anonymous_api.get("/api/me").status_code == 200


def test_a_bad_refresh_token_is_a_401(anonymous_api):
    response = anonymous_api.post("/api/auth/token/refresh", {"refresh": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_describes_the_logged_in_customer(api, customer):
    response = api.get("/api/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": customer.user.pk,
        "email": customer.user.email,
        "name": "Alice Example",
        "phone": "",
        "language": "en",
    }


def test_me_without_credentials_is_a_401(anonymous_api):
    assert anonymous_api.get("/api/me").status_code == 401


def test_me_works_with_the_browser_session(client, customer):
    client.force_login(customer.user)
    assert client.get("/api/me").json()["email"] == customer.user.email


def test_me_for_staff_has_no_customer_but_answers(client):
    staff = StaffUserFactory()
    client.force_login(staff)
    assert client.get("/api/me").json()["email"] == staff.email


def test_me_is_two_queries_with_a_bearer_token(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        api.get("/api/me")
