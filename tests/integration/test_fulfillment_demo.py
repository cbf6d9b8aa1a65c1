"""The `ordering` demo persona's SIM order, approved by support, ends in an active service."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dashboard.demo import ORDERING, load_demo_data
from dashboard.services import build_me_status
from notifications.models import Notification
from orders.models import Order, OrderStatus
from orders.services.review import approve_order
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _dashboard_task_ids(order: Order) -> list[str]:
    status = build_me_status(customer=order.customer, now=timezone.now())
    return [task.id for task in status.tasks]


def test_approving_the_ordering_personas_sim_order_activates_it(
    client, django_capture_on_commit_callbacks
):
    load_demo_data()
    order = Order.objects.get(customer__user__email=ORDERING.email, kind="sim")
    assert order.status == OrderStatus.PENDING_REVIEW
    assert f"order_in_progress:{order.pk}" in _dashboard_task_ids(order)
    client.force_login(StaffUserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/orders/order/{order.pk}/approve/")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    subscription = order.subscription
    assert subscription is not None
    assert subscription.status == "active"
    assert subscription.plan.code == "sim-voice-20gb"
    assert subscription.msisdn and subscription.iccid
    notifications = Notification.objects.filter(user=order.customer.user).order_by("created_at")
    assert [n.type for n in notifications] == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
    assert {n.source_id for n in notifications} == {order.external_id}
    # Only the internet order, still provisioning, is left in progress.
    open_orders = Order.objects.filter(
        customer=order.customer, status__in=["pending_review", "approved", "provisioning"]
    )
    assert list(open_orders.values_list("kind", flat=True)) == ["internet"]
    # The dashboard's task for it is gone; the internet order's remains.
    internet = open_orders.get()
    assert _dashboard_task_ids(order) == [f"order_in_progress:{internet.pk}"]


def test_the_ordering_persona_sees_the_activated_order_on_its_page(
    client, django_capture_on_commit_callbacks
):
    load_demo_data()
    order = Order.objects.get(customer__user__email=ORDERING.email, kind="sim")
    with django_capture_on_commit_callbacks(execute=True):
        approve_order(order_id=order.pk)
    order.refresh_from_db()
    client.force_login(order.customer.user)
    page = client.get(f"/account/orders/{order.pk}").content.decode()
    assert "Active" in page
    assert f"/account/services/{order.subscription_id}" in page
