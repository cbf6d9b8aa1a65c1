"""Support staff review orders in the admin: actions on the list and buttons on the page."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers

from orders.models import OrderStatus
from tests.factories import OrderFactory, UserFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def pending(customer):
    ready_to_order(customer)
    return OrderFactory(customer=customer, plan=sim_plan())


def _action(client, action: str, orders, **extra):
    data = {
        "action": action,
        helpers.ACTION_CHECKBOX_NAME: [order.pk for order in orders],
        "index": 0,
        **extra,
    }
    return client.post(CHANGELIST, data, follow=True)


def test_approving_many_orders_at_once_runs_each_through_fulfillment(
    staff_client, pending, other_customer, django_capture_on_commit_callbacks
):
    ready_to_order(other_customer)
    second = OrderFactory(customer=other_customer, plan=pending.plan)
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(staff_client, "approve_selected", [pending, second])
    assert response.status_code == 200
    for order in (pending, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.ACTIVATED
        assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
    assert pending.number in response.content.decode()


def test_approving_skips_orders_that_are_not_pending_and_says_so(
    staff_client, pending, django_capture_on_commit_callbacks
):
    failed = OrderFactory(plan=pending.plan, status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(staff_client, "approve_selected", [pending, failed])
    failed.refresh_from_db()
    assert failed.status == OrderStatus.FAILED
    assert f"Order {failed.number} is failed" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == OrderStatus.ACTIVATED


def test_rejecting_many_asks_for_a_reason_first(staff_client, pending):
    response = _action(staff_client, "reject_selected", [pending])
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page and pending.number in page
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING_REVIEW


def test_rejecting_many_with_a_reason_cancels_them(staff_client, pending):
    response = _action(
        staff_client,
        "reject_selected",
        [pending],
        apply="1",
        reason="We cannot ship there.",
        reason_ja="この住所にはお届けできません。",
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == OrderStatus.CANCELLED
    assert pending.failure_reason == "We cannot ship there."
    assert pending.failure_reason_ja == "この住所にはお届けできません。"
    assert notification_types(pending) == ["ORDER_FAILED"]


def test_rejecting_without_a_reason_shows_the_form_again(staff_client, pending):
    response = _action(staff_client, "reject_selected", [pending], apply="1", reason="")
    assert "This field is required" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING_REVIEW


def test_a_pending_orders_page_has_approve_and_reject_buttons(staff_client, pending):
    page = staff_client.get(f"{CHANGELIST}{pending.pk}/change/").content.decode()
    assert f'formaction="/admin/orders/order/{pending.pk}/approve/"' in page
    assert f'href="/admin/orders/order/{pending.pk}/reject/"' in page
    assert 'name="_save"' not in page  # orders change through services only


def test_an_activated_orders_page_has_no_review_buttons(staff_client, customer):
    order = OrderFactory(customer=customer, status="activated")
    page = staff_client.get(f"{CHANGELIST}{order.pk}/change/").content.decode()
    assert "/approve/" not in page


def test_the_approve_button_approves_and_starts_fulfillment(
    staff_client, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{CHANGELIST}{pending.pk}/approve/")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{pending.pk}/change/"
    pending.refresh_from_db()
    assert pending.status == OrderStatus.ACTIVATED


def test_the_approve_button_needs_a_post(staff_client, pending):
    assert staff_client.get(f"{CHANGELIST}{pending.pk}/approve/").status_code == 405


def test_approving_an_order_twice_from_its_page_warns(staff_client, pending):
    staff_client.post(f"{CHANGELIST}{pending.pk}/approve/")
    response = staff_client.post(f"{CHANGELIST}{pending.pk}/approve/", follow=True)
    assert "only an order pending review can be approved" in response.content.decode()
    assert notification_types(pending) == ["ORDER_APPROVED"]


def test_the_reject_page_cancels_with_the_reason(staff_client, pending):
    form = staff_client.get(f"{CHANGELIST}{pending.pk}/reject/")
    assert 'name="reason"' in form.content.decode()
    assert 'name="reason_ja"' in form.content.decode()
    response = staff_client.post(f"{CHANGELIST}{pending.pk}/reject/", {"reason": "Out of area."})
    assert response.status_code == 200  # the Japanese reason is asked for too
    response = staff_client.post(
        f"{CHANGELIST}{pending.pk}/reject/",
        {"reason": "Out of area.", "reason_ja": "提供エリア外です。"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == OrderStatus.CANCELLED
    assert pending.failure_reason == "Out of area."


def test_customers_cannot_reach_the_review_screens(client, pending):
    client.force_login(pending.customer.user)
    response = client.post(f"{CHANGELIST}{pending.pk}/approve/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING_REVIEW


def test_staff_without_change_permission_cannot_approve(client, pending):
    viewer = UserFactory(is_staff=True)
    client.force_login(viewer)
    assert client.post(f"{CHANGELIST}{pending.pk}/approve/").status_code == 403
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING_REVIEW


def test_the_order_list_and_search_work(staff_client, pending):
    response = staff_client.get(CHANGELIST, {"q": pending.external_id})
    assert response.status_code == 200
    assert pending.number in response.content.decode()
