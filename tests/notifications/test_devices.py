"""The customer's phones for push: the API (register, list, forget), logout forgetting the
device of that login (and every end of all logins forgetting them all), and the settings page (push per category, the devices, forget)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts import services as accounts_services
from notifications import selectors
from notifications.models import Device
from tests.factories import PASSWORD, StaffUserFactory

pytestmark = pytest.mark.django_db

DEVICES = "/api/me/devices"


def register(client: APIClient, token: str = "fcm-token-1", **extra: Any) -> Any:
    return client.post(DEVICES, {"platform": "ios", "token": token, **extra}, format="json")


def login(customer) -> tuple[APIClient, str]:
    """A real login of the app: an access token for requests, the refresh token to log out."""
    answer = APIClient().post(
        "/api/auth/token", {"email": customer.user.email, "password": PASSWORD}, format="json"
    )
    assert answer.status_code == 200
    tokens = answer.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, tokens["refresh"]


# --- The API ----------------------------------------------------------------------------------


def test_registering_a_device_answers_201_then_200_for_the_same_token(api, customer):
    first = register(api, appVersion="2.4.0", language="ja")
    assert first.status_code == 201
    body = first.json()
    assert set(body) == {"id", "platform", "createdAt", "lastSeenAt"}
    assert body["platform"] == "ios"
    again = register(api, appVersion="2.5.0")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    device = Device.objects.get()
    assert device.user == customer.user and device.app_version == "2.5.0"
    assert device.last_seen_at >= device.created_at


def test_registering_again_without_an_app_version_or_language_keeps_them(api):
    register(api, appVersion="2.4.0", language="ja")
    assert register(api).status_code == 200
    device = Device.objects.get()
    assert (device.app_version, device.language) == ("2.4.0", "ja")
    assert register(api, appVersion="", language="").status_code == 200
    device.refresh_from_db()
    assert (device.app_version, device.language) == ("", "")


def test_an_app_version_with_a_control_character_is_refused(api):
    response = register(api, appVersion="2.4\x07.0")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["appVersion"] == ["Use printable characters only."]
    assert register(api, appVersion="2.4.1 (381) ベータ").status_code == 201


def test_the_same_token_moves_to_the_last_customer_who_registered_it(api, other_api, customer):
    mine = register(api).json()
    moved = register(other_api)
    assert moved.status_code == 200 and moved.json()["id"] == mine["id"]
    assert api.get(DEVICES).json() == {"items": []}
    assert [item["id"] for item in other_api.get(DEVICES).json()["items"]] == [mine["id"]]


def test_listing_shows_only_the_customers_own_devices(api, other_api):
    register(api, "token-a")
    register(api, "token-b", platform="android")
    register(other_api, "token-c")
    items = api.get(DEVICES).json()["items"]
    assert sorted(item["platform"] for item in items) == ["android", "ios"]


def test_forgetting_a_device(api, other_api):
    mine = register(api).json()
    # Another customer's device is exactly as invisible as one that does not exist.
    assert other_api.delete(f"{DEVICES}/{mine['id']}").status_code == 404
    assert other_api.delete(f"{DEVICES}/999999").status_code == 404
    assert api.delete(f"{DEVICES}/{mine['id']}").status_code == 204
    assert api.delete(f"{DEVICES}/{mine['id']}").status_code == 404
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "windows", "token": "abc"},
        {"platform": "ios"},
        {"platform": "ios", "token": ""},
        {"platform": "ios", "token": "has spaces in it"},
        {"platform": "ios", "token": "x" * 1025},
        {"platform": "ios", "token": 12345},
        {"platform": "ios", "token": "abc", "language": "not a language"},
        {"platform": "ios", "token": "abc", "appVersion": "1.0\u0000"},
    ],
)
def test_a_malformed_device_is_a_400(api, body):
    response = api.post(DEVICES, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert not Device.objects.exists()


def test_devices_need_credentials(anonymous_api):
    assert anonymous_api.get(DEVICES).status_code == 401
    assert register(anonymous_api).status_code == 401


# --- Logging out forgets the device of that login --------------------------------------------


def test_logging_out_forgets_the_device_registered_with_that_login(customer):
    app, refresh = login(customer)
    other_app, _other_refresh = login(customer)  # the same customer on a tablet
    assert register(app, "phone-token").status_code == 201
    assert register(other_app, "tablet-token").status_code == 201
    assert APIClient().post("/api/auth/logout", {"refresh": refresh}, format="json").status_code
    assert list(Device.objects.values_list("token", flat=True)) == ["tablet-token"]


def test_a_refreshed_login_is_the_same_login(customer):
    app, refresh = login(customer)
    register(app, "phone-token")
    rotated = APIClient().post("/api/auth/token/refresh", {"refresh": refresh}, format="json")
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh"]
    # The app registers again with its new access token: still the same login.
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated.json()['access']}")
    assert register(app, "phone-token").status_code == 200
    response = APIClient().post("/api/auth/logout", {"refresh": new_refresh}, format="json")
    assert response.status_code == 204
    assert not Device.objects.exists()


def test_logging_out_with_a_rotated_token_still_forgets_that_logins_device(customer):
    app, refresh = login(customer)
    register(app, "phone-token")
    APIClient().post("/api/auth/token/refresh", {"refresh": refresh}, format="json")
    response = APIClient().post("/api/auth/logout", {"refresh": refresh}, format="json")
    assert response.status_code == 204
    assert not Device.objects.exists()


def test_a_device_that_moved_is_kept_when_the_first_login_ends(customer, other_customer):
    first, first_refresh = login(customer)
    second, _ = login(other_customer)
    register(first, "shared-token")
    register(second, "shared-token")  # the phone changed hands
    APIClient().post("/api/auth/logout", {"refresh": first_refresh}, format="json")
    assert Device.objects.get().user == other_customer.user


def test_a_new_password_forgets_every_device(customer):
    app, _refresh = login(customer)
    register(app, "phone-token")
    response = app.post(
        "/api/me/password",
        {"currentPassword": PASSWORD, "newPassword": "a-long-new-passphrase-42"},
        format="json",
    )
    assert response.status_code == 204
    assert not Device.objects.exists()


def test_a_password_reset_forgets_every_device(client, customer):
    app, _refresh = login(customer)
    register(app, "phone-token")
    uid = urlsafe_base64_encode(force_bytes(customer.user.pk))
    link = f"/password-reset/{uid}/{default_token_generator.make_token(customer.user)}"
    form = client.get(link, follow=True).redirect_chain[-1][0]
    new_password = "a-long-new-passphrase-42"
    client.post(form, {"new_password1": new_password, "new_password2": new_password})
    assert not Device.objects.exists()


def test_a_password_set_by_support_forgets_every_device(client, customer, other_customer):
    app, _refresh = login(customer)
    register(app, "phone-token")
    other_app, _other_refresh = login(other_customer)
    register(other_app, "other-phone-token")
    client.force_login(StaffUserFactory(is_superuser=True))
    new_password = "a-long-new-passphrase-42"
    response = client.post(
        f"/admin/accounts/user/{customer.user.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert list(Device.objects.values_list("token", flat=True)) == ["other-phone-token"]


def test_deactivating_a_customer_forgets_their_devices(customer):
    app, _refresh = login(customer)
    register(app, "phone-token")
    accounts_services.deactivate_customer(
        customer=customer,
        actor=StaffUserFactory(),
        reason="Asked to close the account",
        now=timezone.now(),
    )
    assert not Device.objects.exists()


# --- Preferences: push per category --------------------------------------------------------


def test_push_is_a_channel_of_the_preferences_api(api, other_api):
    categories = api.get("/api/me/notification-preferences").json()["categories"]
    assert categories["billing"]["push"] is True
    assert categories["announcements"]["push"] is False
    response = api.put(
        "/api/me/notification-preferences",
        {"categories": {"billing": {"push": False}, "announcements": {"push": True}}},
        format="json",
    )
    assert response.status_code == 200
    categories = response.json()["categories"]
    assert categories["billing"] == {"inApp": True, "email": True, "push": False}
    assert categories["announcements"] == {"inApp": True, "email": False, "push": True}
    assert api.get("/api/me/notification-preferences").json()["categories"] == categories
    assert other_api.get("/api/me/notification-preferences").json()["categories"]["billing"]["push"]
    bad = api.put(
        "/api/me/notification-preferences",
        {"categories": {"billing": {"push": "yes"}}},
        format="json",
    )
    assert bad.status_code == 400


def test_a_preference_saved_before_push_existed_keeps_the_default(customer):
    from django.utils import timezone

    from notifications.models import NotificationPreference

    NotificationPreference.objects.create(
        user=customer.user,
        category="billing",
        in_app=True,
        email=False,
        push=None,
        updated_at=timezone.now(),
    )
    preferences = selectors.get_notification_preferences(user=customer.user)
    assert preferences["billing"] == {"in_app": True, "email": False, "push": True}


# --- The settings page -------------------------------------------------------------------------


def test_the_settings_page_shows_push_and_the_devices(browser_client, api, other_api):
    register(api, "token-a", appVersion="2.4.0")
    register(other_api, "token-b", platform="android")
    body = browser_client.get("/account/settings/notifications").content.decode()
    assert 'name="billing-push" id="pref-billing-push" checked' in body
    assert 'name="announcements-push" id="pref-announcements-push" aria-label' in body
    assert "iPhone or iPad" in body and "app 2.4.0" in body
    assert "Android" not in body  # the other customer's phone
    device = Device.objects.get(token="token-a")
    assert f"/account/settings/devices/{device.pk}/forget" in body


def test_the_settings_page_saves_push(browser_client, customer):
    response = browser_client.post(
        "/account/settings/notifications",
        {
            "billing-in_app": "on",
            "billing-email": "on",
            "orders-in_app": "on",
            "orders-push": "on",
            "announcements-push": "on",
        },
    )
    assert response.status_code == 302
    preferences = selectors.get_notification_preferences(user=customer.user)
    assert preferences["billing"] == {"in_app": True, "email": True, "push": False}
    assert preferences["orders"] == {"in_app": True, "email": False, "push": True}
    assert preferences["announcements"]["push"] is True


def test_the_settings_page_forgets_a_device(browser_client, api, other_api):
    mine = register(api, "token-a").json()
    theirs = register(other_api, "token-b").json()
    response = browser_client.post(f"/account/settings/devices/{theirs['id']}/forget")
    assert response.status_code == 404
    response = browser_client.post(f"/account/settings/devices/{mine['id']}/forget")
    assert response.status_code == 302
    assert response["Location"] == "/account/settings/notifications#devices"
    assert list(Device.objects.values_list("token", flat=True)) == ["token-b"]


def test_the_settings_page_in_japanese(browser_client, customer, api):
    customer.language = "ja"
    customer.save()
    register(api, "token-a")
    body = browser_client.get("/account/settings/notifications").content.decode()
    assert "スマートフォン" in body
