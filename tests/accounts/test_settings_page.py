"""The settings page: the profile and the password, one section each."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-passphrase-42"


def test_the_page_shows_the_profile_and_the_password_form(browser_client, customer):
    response = browser_client.get("/account/settings")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="Alice Example"' in content
    assert 'name="current_password"' in content
    assert response.templates[0].name == "accounts/settings.html"


def test_the_page_needs_a_login(client):
    assert client.get("/account/settings")["Location"] == "/login?next=/account/settings"


def test_saving_the_profile_changes_it_and_the_language_of_the_page(browser_client, customer):
    response = browser_client.post(
        "/account/settings/profile",
        {"name": "Alice Renamed", "phone": "090-1234-5678", "language": "ja"},
        follow=True,
    )
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.language) == (
        "Alice Renamed",
        "090-1234-5678",
        "ja",
    )
    assert "プロフィールを保存しました" in response.content.decode()


def test_a_bad_phone_is_shown_on_its_field(browser_client, customer):
    response = browser_client.post(
        "/account/settings/profile", {"name": "Alice", "phone": "call me", "language": "en"}
    )
    assert response.status_code == 200
    assert response.context["profile_form"].errors["phone"]
    customer.refresh_from_db()
    assert customer.name == "Alice Example"


def test_changing_the_password_keeps_this_browser_and_logs_out_the_others(customer):
    this, other = Client(), Client()
    this.force_login(customer.user)
    other.post("/login", {"email": customer.user.email, "password": PASSWORD})

    response = this.post(
        "/account/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )

    assert response["Location"] == "/account/settings"
    assert this.get("/account/settings").status_code == 200
    assert other.get("/account/settings").status_code == 302
    customer.user.refresh_from_db()
    assert customer.user.check_password(NEW_PASSWORD)


def test_a_wrong_current_password_is_shown_on_its_field(browser_client, customer):
    response = browser_client.post(
        "/account/settings/password",
        {
            "current_password": "wrong",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["password_form"].errors["current_password"]


def test_two_different_new_passwords_change_nothing(browser_client, customer):
    response = browser_client.post(
        "/account/settings/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "other"},
    )
    assert response.context["password_form"].errors["new_password_again"]
    customer.user.refresh_from_db()
    assert customer.user.check_password(PASSWORD)


def test_another_customer_cannot_change_my_profile(browser_client, customer, other_customer):
    browser_client.post(
        "/account/settings/profile", {"name": "Hijacked", "phone": "", "language": "en"}
    )
    other_customer.refresh_from_db()
    assert other_customer.name == "Bob Other"


def test_the_settings_page_holds_the_notification_choices_and_the_phones(browser_client, customer):
    page = browser_client.get("/account/settings").content.decode()
    assert 'id="notification-preferences-heading"' in page
    assert 'id="push-devices-heading"' in page
    assert 'name="next" value="/account/settings"' in page


# --- Numbers typed the Japanese way; every mistake at once ---------------------------------

FULL_WIDTH_PHONE = "\uff10\uff19\uff10\uff0d\uff11\uff12\uff13\uff14\u30fc\uff15\uff16\uff17\uff18"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_full_width_phone_is_saved_as_its_digits(browser_client, customer, language):
    response = browser_client.post(
        "/account/settings/profile",
        {"name": "Alice Example", "phone": FULL_WIDTH_PHONE, "language": language},
    )
    assert response["Location"] == "/account/settings"
    customer.refresh_from_db()
    assert customer.phone == "090-1234-5678"


@pytest.mark.parametrize(
    ("language", "name_error", "phone_error"),
    [
        ("en", "Enter your name.", "Enter a phone number of digits"),
        ("ja", "お名前を入力してください。", "電話番号は数字で入力してください"),
    ],
)
def test_a_missing_name_and_a_bad_phone_are_shown_at_once(
    browser_client, customer, language, name_error, phone_error
):
    customer.language = language
    customer.save()
    response = browser_client.post(
        "/account/settings/profile", {"name": "", "phone": "call me", "language": language}
    )
    assert response.status_code == 200
    errors = response.context["profile_form"].errors
    assert set(errors) == {"name", "phone"}
    page = response.content.decode()
    assert name_error in page
    assert phone_error in page


def test_a_wrong_current_password_and_a_weak_new_one_are_shown_at_once(browser_client):
    response = browser_client.post(
        "/account/settings/password",
        {"current_password": "wrong", "new_password": "12345678", "new_password_again": "12345678"},
    )
    assert response.status_code == 200
    assert set(response.context["password_form"].errors) == {"current_password", "new_password"}
