"""The same stored notification reads in the customer's language of the moment, on the
list, the dashboard card, the bell and the API; its category is shown beside it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.services.reminders import notify_invoice_due
from tests.factories import InvoiceFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

TITLE = {
    "en": "Invoice INV-LANG-1 is due",
    "ja": "請求書 INV-LANG-1 のお支払い期限が近づいています",
}
CATEGORY = {"en": "Billing", "ja": "ご請求"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reminder(customer):
    from datetime import timedelta

    from portal.dates import tokyo_today

    invoice = InvoiceFactory(
        customer=customer,
        number="INV-LANG-1",
        total=Decimal("5280"),
        due_date=tokyo_today() + timedelta(days=3),
    )
    notification = notify_invoice_due(user=customer.user, invoice=invoice)
    assert notification is not None
    return notification


def switch(browser_client, language):
    response = browser_client.post("/account/language", {"language": language, "next": "/account/"})
    assert response.status_code == 302


@pytest.mark.parametrize(("first", "then"), [("en", "ja"), ("ja", "en")])
def test_the_list_reads_in_the_new_language(browser_client, reminder, first, then):
    for language in (first, then):
        switch(browser_client, language)
        page = browser_client.get("/account/notifications").content.decode()
        other = "ja" if language == "en" else "en"
        assert TITLE[language] in page and TITLE[other] not in page
        assert f"{CATEGORY[language]}</span> <time" in page
        assert "notification--billing" in page


@pytest.mark.parametrize(("first", "then"), [("en", "ja"), ("ja", "en")])
def test_the_dashboard_card_reads_in_the_new_language(browser_client, reminder, first, then):
    for language in (first, then):
        switch(browser_client, language)
        other = "ja" if language == "en" else "en"
        page = browser_client.get("/account/").content.decode()
        assert TITLE[language] in page and TITLE[other] not in page
        card = browser_client.get("/account/notifications/latest", **HTMX).content.decode()
        assert TITLE[language] in card and CATEGORY[language] in card


@pytest.mark.parametrize(("first", "then"), [("en", "ja"), ("ja", "en")])
def test_the_bell_reads_in_the_new_language(browser_client, reminder, first, then):
    for language in (first, then):
        switch(browser_client, language)
        other = "ja" if language == "en" else "en"
        menu = browser_client.post("/account/notifications/bell/open", **HTMX).content.decode()
        assert TITLE[language] in menu and TITLE[other] not in menu
        assert CATEGORY[language] in menu


@pytest.mark.parametrize(("first", "then"), [("en", "ja"), ("ja", "en")])
def test_the_api_reads_in_the_new_language(api, customer, reminder, first, then):
    for language in (first, then):
        response = api.patch("/api/me", {"language": language}, format="json")
        assert response.status_code == 200
        [item] = api.get("/api/notifications").json()["items"]
        assert item["title"] == TITLE[language]
        assert item["category"] == "billing"
        assert item["severity"] == "warning"


def test_the_admin_lists_notifications_by_category(client, reminder):
    client.force_login(StaffUserFactory(is_superuser=True))
    billing = client.get("/admin/notifications/notification/", {"category__exact": "billing"})
    assert billing.status_code == 200
    assert "INV-LANG-1" in billing.content.decode() or str(reminder.source_id) in (
        billing.content.decode()
    )
    orders = client.get("/admin/notifications/notification/", {"category__exact": "orders"})
    assert orders.status_code == 200
    assert "0 notifications" in orders.content.decode()


@pytest.mark.parametrize("path", ["/api/notifications", "/api/me/status"])
def test_a_cached_answer_is_not_reused_after_a_language_switch(api, reminder, path):
    etag = api.get(path)["ETag"]
    assert api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    api.patch("/api/me", {"language": "ja"}, format="json")
    again = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert "請求書 INV-LANG-1" in again.content.decode()
