"""The fulfillment orchestrator: each transition, failures, and running it again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import UnbilledCharge
from orders.models import OrderStatus
from orders.provisioning import TemporaryProvisioningError
from orders.services.fulfillment import fulfill_order
from orders.services.review import approve_order
from subscriptions.models import Subscription
from tests.factories import OrderFactory
from tests.orders.support import (
    ADDRESS,
    internet_plan,
    notification_types,
    notifications_of,
    ready_to_order,
    sim_plan,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


@pytest.fixture
def approved_sim_order(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    return approve_order(order_id=order.pk, now=NOW)


def test_an_approved_sim_order_ends_in_an_active_subscription(approved_sim_order):
    order = fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    assert order.status == OrderStatus.ACTIVATED
    assert order.provisioning_at == order.activated_at == NOW
    assert order.provisioning_attempts == 1
    subscription = order.subscription
    assert subscription is not None
    assert subscription.customer == order.customer
    assert subscription.plan == order.plan
    assert subscription.status == "active"
    assert subscription.activated_at == NOW
    assert subscription.msisdn and subscription.iccid
    assert subscription.line_id == ""
    assert subscription.order == order


def test_activation_tells_the_customer_once(approved_sim_order):
    order = fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
    activated = notifications_of(order, "ORDER_ACTIVATED")[0]
    assert activated.source == "order"
    assert activated.source_id == order.external_id
    assert order.number in activated.message


def test_an_internet_order_gets_a_line_at_its_installation_address(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=internet_plan(), installation_address=ADDRESS)
    approve_order(order_id=order.pk)
    order = fulfill_order(order_id=order.pk)
    assert order.subscription is not None
    assert order.subscription.line_id.startswith("FLT-")
    assert order.subscription.installation_address == ADDRESS
    assert order.subscription.msisdn == ""


def test_the_customer_reads_notifications_and_plan_names_in_their_language(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    approve_order(order_id=order.pk)
    fulfill_order(order_id=order.pk)
    assert all("SIM データ 20GB" in n.rendered("ja").message for n in notifications_of(order))
    assert all("SIM Data 20GB" in n.rendered("en").message for n in notifications_of(order))


def test_running_it_again_on_an_activated_order_changes_nothing(approved_sim_order):
    first = fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    later = datetime(2026, 11, 25, tzinfo=UTC)  # past every dedupe window
    again = fulfill_order(order_id=approved_sim_order.pk, now=later)
    assert again.activated_at == first.activated_at
    assert again.provisioning_attempts == 1
    assert Subscription.objects.count() == 1
    assert notification_types(again) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


@pytest.mark.parametrize("status", ["pending_review", "failed", "cancelled"])
def test_running_it_on_an_order_outside_fulfillment_does_nothing(customer, status):
    order = OrderFactory(customer=customer, plan=sim_plan(), status=status)
    result = fulfill_order(order_id=order.pk)
    assert result.status == status
    assert result.provisioning_attempts == 0
    assert not Subscription.objects.exists()
    assert notifications_of(order) == []


def test_an_order_left_provisioning_is_finished(customer):
    # The demo's internet order, or a worker that died mid-way.
    order = OrderFactory(
        customer=customer, plan=internet_plan(), status="provisioning", installation_address=ADDRESS
    )
    assert fulfill_order(order_id=order.pk).status == OrderStatus.ACTIVATED


def test_a_permanent_error_fails_the_order_at_once_with_a_reason(settings, approved_sim_order):
    settings.PROVISIONING_FAILURE_MODE = "permanent"
    order = fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    assert order.status == OrderStatus.FAILED
    assert order.failed_at == NOW
    assert "could not set up this service" in order.failure_reason
    assert order.subscription is None
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_FAILED"]
    [failed] = notifications_of(order, "ORDER_FAILED")
    assert order.failure_reason in failed.message


def test_a_temporary_error_is_raised_for_a_retry_and_the_attempt_is_kept(
    settings, approved_sim_order
):
    settings.PROVISIONING_FAILURE_MODE = "temporary"
    with pytest.raises(TemporaryProvisioningError):
        fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    approved_sim_order.refresh_from_db()
    assert approved_sim_order.status == OrderStatus.PROVISIONING
    assert approved_sim_order.provisioning_attempts == 1
    assert notification_types(approved_sim_order) == ["ORDER_APPROVED"]


def test_a_temporary_error_on_the_final_attempt_fails_the_order(settings, approved_sim_order):
    settings.PROVISIONING_FAILURE_MODE = "temporary"
    for _ in range(2):
        with pytest.raises(TemporaryProvisioningError):
            fulfill_order(order_id=approved_sim_order.pk)
    order = fulfill_order(order_id=approved_sim_order.pk, final_attempt=True, now=NOW)
    assert order.status == OrderStatus.FAILED
    assert order.provisioning_attempts == 3
    assert "after 3 attempts" in order.failure_reason
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_FAILED"]


def test_a_failed_order_is_not_retried(settings, approved_sim_order):
    settings.PROVISIONING_FAILURE_MODE = "permanent"
    fulfill_order(order_id=approved_sim_order.pk)
    settings.PROVISIONING_FAILURE_MODE = ""
    order = fulfill_order(order_id=approved_sim_order.pk)
    assert order.status == OrderStatus.FAILED
    assert not Subscription.objects.exists()


# --- The initial fee ----------------------------------------------------------------------


def test_activation_puts_the_plans_initial_fee_on_the_next_invoice_once(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan(initial_fee=Decimal("3300")))
    approve_order(order_id=order.pk, now=NOW)
    fulfill_order(order_id=order.pk, now=NOW)
    fulfill_order(order_id=order.pk, now=NOW)  # a retry: activated already
    charge = UnbilledCharge.objects.get()
    assert (charge.customer, charge.amount, charge.invoice) == (customer, Decimal("3300.00"), None)
    assert charge.incurred_on == date(2026, 11, 24)  # 10:30 in Tokyo
    assert (charge.source_type, charge.source_id) == ("order", str(order.pk))
    assert charge.description == f"Initial fee: SIM Data 20GB (order {order.number})"
    assert charge.description_ja == f"初期費用：SIM データ 20GB（ご注文番号 {order.number}）"  # noqa: RUF001


def test_a_plan_without_an_initial_fee_owes_nothing_more_on_activation(approved_sim_order):
    fulfill_order(order_id=approved_sim_order.pk, now=NOW)
    assert not UnbilledCharge.objects.exists()


def test_a_failed_order_owes_no_initial_fee(customer, settings):
    settings.PROVISIONING_FAILURE_MODE = "permanent"
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan(initial_fee=Decimal("3300")))
    approve_order(order_id=order.pk, now=NOW)
    assert fulfill_order(order_id=order.pk, now=NOW).status == OrderStatus.FAILED
    assert not UnbilledCharge.objects.exists()
