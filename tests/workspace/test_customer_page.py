"""The customer's page in the admin: one read-only view, and reading it writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.devices import register_device
from notifications.models import Notification
from staff.services import record_staff_action
from tests.factories import (
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def _url(customer) -> str:
    return f"/admin/accounts/customer/{customer.pk}/change/"


def test_the_page_shows_everything_the_customer_has(support: Client, support_user, customer):
    order = OrderFactory(customer=customer)
    invoice = InvoiceFactory(customer=customer, due_date=timezone.localdate() - timedelta(days=3))
    SubscriptionFactory(customer=customer, msisdn="08011112222")
    PaymentMethodFactory(customer=customer, last4="4242", brand="visa")
    NotificationFactory(user=customer.user, title="Your order is approved")
    register_device(
        user=customer.user, platform="android", token="fcm-token-1", app_version="3.2.1"
    )
    record_staff_action(
        actor=support_user,
        action="order_approved",
        customer=customer,
        subject=order,
        subject_label=order.number,
        now=timezone.now(),
    )
    from support.services import create_support_request

    asked = create_support_request(
        customer=customer, topic="billing", message="A question", now=timezone.now()
    ).support_request
    response = support.get(_url(customer))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        f"/admin/support/supportrequest/{asked.pk}/change/",
        customer.user.email,
        order.number,
        f"/admin/orders/order/{order.pk}/change/",
        invoice.number,
        f"/admin/billing/invoice/{invoice.pk}/change/",
        "08011112222",
        "•••• 4242",
        "Your order is approved",
        "Android",
        "3.2.1",
        "Order approved",
        f"?customer__id__exact={customer.pk}",
        "Set result",
        "Review",
    ):
        assert text in page, text
    # The same tasks the customer's dashboard shows, from the same snapshot.
    tasks = response.context["overview"].snapshot.tasks
    assert tasks[0].type == "invoice_due"
    assert "processor_reference" not in page


def test_reading_the_page_creates_none_of_the_customers_reminders(support: Client, customer):
    InvoiceFactory(customer=customer, due_date=timezone.localdate() + timedelta(days=2))
    support.get(_url(customer))
    assert not Notification.objects.filter(user=customer.user).exists()
    # The customer's own read still creates it.
    from dashboard.services import build_me_status

    build_me_status(customer=customer, now=timezone.now())
    assert Notification.objects.filter(user=customer.user, type="INVOICE_DUE").count() == 1


def test_the_page_is_the_snapshot_in_the_customers_language(support: Client, customer):
    customer.language = "ja"
    customer.save()
    response = support.get(_url(customer))
    (task,) = response.context["overview"].snapshot.tasks
    assert task.type == "onboarding"
    assert task.title != "Get started"  # rendered in Japanese, as the customer reads it
    assert response.context["LANGUAGE_CODE"] == "en"


def test_the_page_has_no_edit_form_no_user_dropdown_and_no_delete(support: Client, customer):
    page = support.get(_url(customer)).content.decode()
    assert '<select name="user"' not in page
    assert "/delete/" not in page
    assert support.post(_url(customer), {"name": "Changed"}).status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Alice Example"


def test_the_page_costs_the_same_queries_with_more_rows(support: Client, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert support.get(_url(customer)).status_code == 200
        return len(captured)

    SubscriptionFactory(customer=customer)
    OrderFactory(customer=customer, status="activated")
    InvoiceFactory(customer=customer)
    NotificationFactory(user=customer.user)
    few = queries()
    for _ in range(5):
        SubscriptionFactory(customer=customer)
        OrderFactory(customer=customer, status="activated")
        InvoiceFactory(customer=customer)
        NotificationFactory(user=customer.user)
    assert queries() == few
    assert few <= 30


def test_an_unknown_customer_is_not_found(support: Client):
    response = support.get("/admin/accounts/customer/999999/change/")
    assert response.status_code == 404


def test_deactivating_ends_the_customers_sessions_and_tokens(
    support: Client, support_user, customer
):
    from rest_framework_simplejwt.tokens import RefreshToken

    from staff.models import StaffAction
    from tests.conftest import bearer_client

    browser = Client()
    browser.force_login(customer.user)
    other = Client()
    other.force_login(support_user)  # someone else's session survives
    app = bearer_client(customer.user)
    assert browser.get("/account/").status_code == 200
    assert app.get("/api/me").status_code == 200
    RefreshToken.for_user(customer.user)

    url = f"/admin/accounts/customer/{customer.pk}/deactivate/"
    assert support.post(url, {"reason": ""}).status_code == 200  # a reason is required
    response = support.post(url, {"reason": "Asked to close the account"})
    assert response.status_code == 302
    customer.user.refresh_from_db()
    assert not customer.user.is_active
    assert browser.get("/account/").status_code == 302
    assert app.get("/api/me").status_code == 401
    assert other.get("/admin/").status_code == 200
    action = StaffAction.objects.get()
    assert (action.action, action.reason) == ("customer_deactivated", "Asked to close the account")
    assert action.details == {"sessionsEnded": 1}
    # Twice: nothing more happens. Nothing was deleted.
    support.post(url, {"reason": "again"})
    assert StaffAction.objects.count() == 1
    assert "deactivated" in support.get(_url(customer)).content.decode()

    support.post(f"/admin/accounts/customer/{customer.pk}/reactivate/", {"reason": "Came back"})
    customer.user.refresh_from_db()
    assert customer.user.is_active
    assert StaffAction.objects.filter(action="customer_reactivated").count() == 1
    # Reactivated, the customer logs in afresh: the tokens of before stay refused.
    assert app.get("/api/me").status_code == 401


def test_a_customers_access_is_not_a_checkbox_even_for_a_superuser(customer):
    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.com", password="x" * 12)
    client = Client()
    client.force_login(admin)
    url = f"/admin/accounts/user/{customer.user.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_active"' not in page
    # The whole form, saved, with no is_active in it: an editable checkbox would read as off.
    joined = timezone.localtime(customer.user.date_joined)
    saved = client.post(
        url,
        {
            "email": customer.user.email,
            "date_joined_0": joined.date().isoformat(),
            "date_joined_1": joined.time().strftime("%H:%M:%S"),
        },
    )
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    customer.user.refresh_from_db()
    assert customer.user.is_active
    # A staff login (no customer) is still managed here.
    assert (
        'name="is_active"'
        in client.get(f"/admin/accounts/user/{admin.pk}/change/").content.decode()
    )


def test_a_customer_cannot_deactivate_anyone(client: Client, customer, other_customer):
    client.force_login(customer.user)
    client.post(f"/admin/accounts/customer/{other_customer.pk}/deactivate/", {"reason": "x"})
    other_customer.user.refresh_from_db()
    assert other_customer.user.is_active
