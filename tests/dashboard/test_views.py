from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.conftest import bearer_client
from tests.factories import (
    InvoiceFactory,
    OrderFactory,
    PaymentMethodFactory,
    PlanFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

TASK_ID = re.compile(r'data-task-id="([^"]+)"')


def test_the_dashboard_needs_a_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/"


def test_staff_without_a_customer_account_go_to_the_admin(client):
    client.force_login(StaffUserFactory())
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_page_and_the_api_show_the_same_tasks_in_the_same_order(browser_client, customer):
    customer.residence_card_verification.status = "rejected"
    customer.residence_card_verification.save()
    customer.internet_eligibility.status = "pending"
    customer.internet_eligibility.save()
    today = timezone.localdate()
    InvoiceFactory(customer=customer, due_date=today + timedelta(days=2))
    InvoiceFactory(customer=customer, due_date=today - timedelta(days=4))
    OrderFactory(customer=customer, plan=PlanFactory(kind="sim"), status="approved")
    OrderFactory(
        customer=customer,
        plan=PlanFactory(kind="internet"),
        placed_at=timezone.now() - timedelta(days=1),
    )
    with time_machine.travel(timezone.now(), tick=False):
        api_tasks = bearer_client(customer.user).get("/api/me/status").json()["tasks"]
        page = browser_client.get("/account/").content.decode()
    assert TASK_ID.findall(page) == [task["id"] for task in api_tasks]
    assert len(api_tasks) == 7
    for task in api_tasks:
        assert task["title"] in page
        assert f'href="{task["href"]}"' in page


def test_the_page_shows_each_task_with_its_copy_and_an_icon(browser_client, customer):
    customer.residence_card_verification.status = "rejected"
    customer.residence_card_verification.rejection_reason = "The photo is blurred."
    customer.residence_card_verification.save()
    page = browser_client.get("/account/").content.decode()
    task = page[page.index('data-task-id="idv_rejected"') :]
    task = task[: task.index("</li>")]
    assert "task--critical" in page
    assert "<svg" in task
    assert "Upload your residence card again" in task
    assert "The photo is blurred." in task
    assert 'href="/account/verification"' in task


def test_a_new_customer_sees_empty_states(browser_client):
    page = browser_client.get("/account/").content.decode()
    assert TASK_ID.findall(page) == ["onboarding"]
    assert "No unpaid invoices" in page
    assert "You have not checked an address yet." in page
    assert "Upload your residence card to order a SIM." in page
    assert "No payment method yet." in page
    assert "Nothing has happened yet." in page


def test_a_customer_with_nothing_to_do_is_told_so(browser_client, customer):
    SubscriptionFactory(customer=customer)
    PaymentMethodFactory(customer=customer)
    page = browser_client.get("/account/").content.decode()
    assert TASK_ID.findall(page) == []
    assert "nothing needs your attention" in page
    assert "1 payment method on file" in page


def test_the_page_shows_the_next_invoice_stats_and_activity(browser_client, customer):
    SubscriptionFactory(customer=customer)
    PaymentMethodFactory(customer=customer)
    invoice = InvoiceFactory(
        customer=customer, due_date=timezone.localdate() + timedelta(days=20), total=5500
    )
    page = browser_client.get("/account/").content.decode()
    assert invoice.number in page
    assert "¥5,500" in page
    assert "in 20 days" in page
    assert f"Invoice {invoice.number} issued" in page
    assert f'data-activity-id="invoice_issued:{invoice.pk}"' in page


def test_an_unavailable_billing_provider_is_explained(browser_client, settings):
    settings.BILLING_PROVIDER = "tests.dashboard.providers.FailingProvider"
    page = browser_client.get("/account/").content.decode()
    assert "We could not load your payment methods just now." in page


def test_the_page_never_shows_another_customers_data(browser_client, other_customer):
    invoice = InvoiceFactory(customer=other_customer, due_date=timezone.localdate())
    order = OrderFactory(customer=other_customer)
    page = browser_client.get("/account/").content.decode()
    assert invoice.number not in page
    assert order.number not in page


def test_the_bell_on_the_dashboard_shows_the_unread_count(browser_client, customer):
    SubscriptionFactory(customer=customer)
    PaymentMethodFactory(customer=customer)
    InvoiceFactory(customer=customer, due_date=timezone.localdate())
    page = browser_client.get("/account/").content.decode()
    # The visit created the invoice reminder: one unread notification.
    assert '<span class="bell__count" aria-hidden="true">1</span>' in page
    assert "1 unread" in page


@pytest.mark.parametrize("notifications", [0, 3, 150])
def test_the_page_reads_the_snapshot_the_card_and_the_bell_in_few_statements(
    browser_client, customer, notifications, django_assert_num_queries
):
    from tests.notifications.test_selectors import make

    SubscriptionFactory(customer=customer)
    InvoiceFactory(customer=customer, due_date=timezone.localdate())
    make(customer.user, notifications, start=timezone.now())
    browser_client.get("/account/")  # the day's invoice reminder exists from here on
    # Session and user; the snapshot's facts and the payment methods; the card's newest
    # unread ones with the unread count and the bell's badge.
    with django_assert_num_queries(5):
        page = browser_client.get("/account/").content.decode()
    badge = "99+" if notifications >= 99 else str(notifications + 1)
    assert f'<span class="bell__count" aria-hidden="true">{badge}</span>' in page


# --- /account/dashboard/parts: the snapshot's parts again, when the stream says so -------

VERSION = re.compile(r'hx-get="/account/dashboard/parts\?version=([0-9a-f]+)"')
HTMX = {"HX-Request": "true"}


def _version(html: str) -> str:
    found = VERSION.search(html)
    assert found, "no version on the page"
    return found.group(1)


def test_the_page_asks_for_its_parts_again_when_the_dashboard_changes(browser_client):
    page = browser_client.get("/account/").content.decode()
    assert 'id="dashboard-snapshot"' in page
    assert 'hx-trigger="dashboard-changed from:body"' in page
    assert _version(page)


def test_the_parts_are_the_tasks_stats_cards_and_activity_of_the_snapshot(browser_client, customer):
    order = OrderFactory(customer=customer, plan=PlanFactory(kind="sim"), status="approved")
    response = browser_client.get("/account/dashboard/parts?version=old", headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-snapshot"')
    assert f'data-task-id="order_in_progress:{order.pk}"' in html
    assert '<div class="stat" data-stat="orders_in_progress">' in html
    assert "Next invoice" in html
    # The activity is elsewhere on the page: it comes out of band.
    assert '<section class="card" id="recent-activity"' in html
    assert 'hx-swap-oob="true"' in html
    assert f'data-activity-id="order_placed:{order.pk}"' in html
    assert "<html" not in html


def test_unchanged_parts_are_a_204_and_a_change_draws_them_again(browser_client, customer):
    order = OrderFactory(customer=customer, plan=PlanFactory(kind="sim"), status="provisioning")
    version = _version(browser_client.get("/account/").content.decode())
    url = f"/account/dashboard/parts?version={version}"
    assert browser_client.get(url, headers=HTMX).status_code == 204

    order.status = "activated"
    order.activated_at = timezone.now()
    order.subscription = SubscriptionFactory(customer=customer)
    order.save()
    response = browser_client.get(url, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "order_in_progress" not in html
    assert _version(html) != version
    assert f'data-activity-id="order_activated:{order.pk}"' in html


def test_the_parts_are_drawn_in_the_customers_language(browser_client, customer):
    customer.language = "ja"
    customer.save()
    html = browser_client.get("/account/dashboard/parts", headers=HTMX).content.decode()
    assert "ご利用中のサービス" in html
    assert "次回のご請求" in html


def test_the_parts_never_show_another_customers_data(browser_client, other_customer):
    order = OrderFactory(customer=other_customer, status="approved")
    html = browser_client.get("/account/dashboard/parts", headers=HTMX).content.decode()
    assert order.number not in html
    assert f"order_in_progress:{order.pk}" not in html


def test_the_parts_without_htmx_are_the_dashboard(browser_client):
    response = browser_client.get("/account/dashboard/parts")
    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_the_parts_without_a_login_change_nothing_on_the_page(client):
    assert client.get("/account/dashboard/parts", headers=HTMX).status_code == 204
    response = client.get("/account/dashboard/parts")
    assert response["Location"].startswith("/login?next=")
