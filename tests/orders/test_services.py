"""Placing orders (the gates) and review by support."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from orders.models import Order, OrderStatus
from orders.services import placing
from orders.services.fulfillment import fulfill_order
from orders.services.placing import (
    _case_safe_suffix,
    cancel_order,
    get_order_gate,
    new_external_id,
    place_order,
)
from orders.services.review import approve_order, reject_order, resume_fulfillment
from outbox.models import OutboxMessage
from portal.api_errors import ApplicationError
from portal.celery import app as celery_app
from tests.factories import (
    CustomerFactory,
    InternetSubscriptionFactory,
    OrderFactory,
    PaymentMethodFactory,
)
from tests.orders.support import (
    ADDRESS,
    internet_plan,
    notification_types,
    notifications_of,
    ready_to_order,
    set_eligibility,
    set_verification,
    sim_plan,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


@pytest.fixture
def ready(customer):
    return ready_to_order(customer)


def _conflict(code: str, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        place_order(**kwargs)
    assert raised.value.code == code
    return raised.value


# --- place_order ---------------------------------------------------------------------------


def test_placing_a_sim_order_creates_it_pending_review(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code, now=NOW)
    assert order.status == OrderStatus.PENDING_REVIEW
    assert order.kind == "sim"
    assert order.placed_at == NOW
    assert order.installation_address == ""


def test_an_order_number_reads_like_ord_and_its_id(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code)
    assert order.number == f"ORD-{order.pk:06d}"
    assert Order.objects.get(pk=order.pk).number == order.number


def test_the_external_id_looks_like_a_salesforce_order_id(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code)
    assert re.fullmatch(r"801[0-9A-Za-z]{12}[A-Z0-5]{3}", order.external_id)
    assert order.external_id[15:] == _case_safe_suffix(order.external_id[:15])


def test_the_case_safe_suffix_follows_salesforce():
    # Salesforce's own example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
    assert _case_safe_suffix("001A0000006Vm9r") == "IAC"


def test_external_ids_are_new_for_every_order():
    assert len({new_external_id() for _ in range(200)}) == 200


def test_an_internet_order_keeps_its_installation_address_tidied(ready):
    set_eligibility(ready, "eligible", address="4-5-6 Nakameguro, Meguro-ku")
    order = place_order(
        customer=ready,
        plan_code=internet_plan().code,
        installation_address="  4-5-6 Nakameguro,\n Meguro-ku  ",
    )
    assert order.kind == "internet"
    assert order.installation_address == "4-5-6 Nakameguro, Meguro-ku"


def test_a_sim_order_ignores_an_installation_address(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code, installation_address=ADDRESS)
    assert order.installation_address == ""


def test_an_internet_order_needs_an_installation_address(ready):
    error = _conflict(
        "validation_error", customer=ready, plan_code=internet_plan().code, installation_address=" "
    )
    assert set(error.fields or {}) == {"installationAddress"}
    assert not Order.objects.exists()


def test_an_installation_address_has_a_length_limit(ready):
    error = _conflict(
        "validation_error",
        customer=ready,
        plan_code=internet_plan().code,
        installation_address="x" * 301,
    )
    assert set(error.fields or {}) == {"installationAddress"}


def test_an_unknown_plan_is_a_validation_error_on_plan_code(ready):
    error = _conflict("validation_error", customer=ready, plan_code="no-such-plan")
    assert set(error.fields or {}) == {"planCode"}


def test_a_plan_no_longer_offered_cannot_be_ordered(ready):
    error = _conflict("validation_error", customer=ready, plan_code=sim_plan(active=False).code)
    assert set(error.fields or {}) == {"planCode"}


@pytest.mark.parametrize("status", ["not_requested", "pending", "ineligible"])
def test_internet_needs_eligibility(customer, status):
    set_verification(customer, "verified")
    set_eligibility(customer, status)
    error = _conflict(
        "internet_eligibility_required",
        customer=customer,
        plan_code=internet_plan().code,
        installation_address=ADDRESS,
    )
    assert error.status_code == 409
    assert not Order.objects.exists()


@pytest.mark.parametrize("status", ["not_submitted", "pending", "rejected"])
def test_a_sim_needs_a_verified_residence_card(customer, status):
    set_eligibility(customer, "eligible")
    set_verification(customer, status)
    error = _conflict(
        "residence_card_verification_required", customer=customer, plan_code=sim_plan().code
    )
    assert error.status_code == 409


def test_the_gate_is_checked_after_the_address(customer):
    with pytest.raises(ApplicationError) as error:
        place_order(customer=customer, plan_code=internet_plan().code)
    assert error.value.code == "validation_error"
    _conflict(
        "internet_eligibility_required",
        customer=customer,
        plan_code=internet_plan().code,
        installation_address=ADDRESS,
    )


def test_a_sim_order_does_not_need_internet_eligibility(customer):
    set_verification(customer, "verified")
    PaymentMethodFactory(customer=customer, is_default=True)
    assert place_order(customer=customer, plan_code=sim_plan().code)


def test_a_second_open_order_of_the_same_kind_is_refused(ready):
    plan = sim_plan()
    first = place_order(customer=ready, plan_code=plan.code)
    error = _conflict("order_already_in_progress", customer=ready, plan_code=plan.code)
    assert first.number in error.message
    assert Order.objects.count() == 1


@pytest.mark.parametrize("status", ["pending_review", "approved", "provisioning"])
def test_any_open_order_blocks_the_kind(ready, status):
    plan = sim_plan()
    OrderFactory(customer=ready, plan=plan, status=status)
    _conflict("order_already_in_progress", customer=ready, plan_code=sim_plan(code="other").code)


@pytest.mark.parametrize("status", ["activated", "failed", "cancelled"])
def test_a_finished_order_does_not_block_a_new_one(ready, status):
    plan = sim_plan()
    OrderFactory(customer=ready, plan=plan, status=status)
    assert place_order(customer=ready, plan_code=plan.code).is_open


def test_an_open_sim_order_does_not_block_internet(ready):
    place_order(customer=ready, plan_code=sim_plan().code)
    order = place_order(
        customer=ready, plan_code=internet_plan().code, installation_address=ADDRESS
    )
    assert order.kind == "internet"


def test_another_customers_open_order_blocks_nothing(ready):
    OrderFactory(customer=CustomerFactory(), plan=sim_plan())
    assert place_order(customer=ready, plan_code=sim_plan().code)


def test_a_request_that_passed_the_check_just_before_another_is_refused_by_the_database(
    ready, monkeypatch
):
    # The race: both requests saw no open order; the database constraint decides.
    plan = sim_plan()
    first = place_order(customer=ready, plan_code=plan.code)
    monkeypatch.setattr(placing, "get_order_gate", lambda **kwargs: None)
    error = _conflict("order_already_in_progress", customer=ready, plan_code=plan.code)
    assert first.number in error.message
    assert Order.objects.count() == 1


def test_get_order_gate_names_the_open_order_and_links_to_it(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code)
    gate = get_order_gate(customer=ready, kind="sim")
    assert gate is not None
    assert gate.code == "order_already_in_progress"
    assert gate.action_url == f"/account/orders/{order.pk}"
    assert get_order_gate(customer=ready, kind="internet") is None


@pytest.mark.parametrize(
    ("kind", "expected_url"),
    [("internet", "/account/eligibility"), ("sim", "/account/verification")],
)
def test_get_order_gate_links_to_the_step_that_opens_it(customer, kind, expected_url):
    gate = get_order_gate(customer=customer, kind=kind)
    assert gate is not None
    assert gate.action_url == expected_url
    assert gate.message and gate.action_label


# --- approve_order and reject_order -------------------------------------------------------


def test_approving_sets_approved_and_tells_the_customer(ready):
    order = OrderFactory(customer=ready, plan=sim_plan())
    approved = approve_order(order_id=order.pk, now=NOW)
    assert approved.status == OrderStatus.APPROVED
    assert approved.approved_at == NOW
    [notification] = notifications_of(order)
    assert notification.type == "ORDER_APPROVED"
    assert order.number in notification.message
    assert "SIM Data 20GB" in notification.message
    assert notification.action_url == f"/account/orders/{order.pk}"


def test_approving_enqueues_fulfillment_on_commit(ready, django_capture_on_commit_callbacks):
    order = OrderFactory(customer=ready, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve_order(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED  # nothing ran before the commit
    for callback in callbacks:
        callback()
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


def test_with_a_broker_approval_stores_the_fulfillment_task_in_the_outbox(
    ready, django_capture_on_commit_callbacks
):
    order = OrderFactory(customer=ready, plan=sim_plan())
    celery_app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=False):
            approve_order(order_id=order.pk)
    finally:
        celery_app.conf.task_always_eager = True
    # Beside the email of ORDER_APPROVED, one fulfillment task waits in the outbox.
    [message] = OutboxMessage.objects.filter(task_name="orders.tasks.fulfill_order_task")
    assert message.args == [order.pk]


def test_approving_twice_is_refused_and_notifies_once(ready):
    order = OrderFactory(customer=ready, plan=sim_plan())
    approve_order(order_id=order.pk)
    with pytest.raises(ApplicationError) as raised:
        approve_order(order_id=order.pk)
    assert raised.value.code == "order_not_pending_review"
    assert notification_types(order) == ["ORDER_APPROVED"]


@pytest.mark.parametrize("status", ["provisioning", "activated", "failed", "cancelled"])
def test_only_an_order_pending_review_can_be_approved(ready, status):
    order = OrderFactory(customer=ready, plan=sim_plan(), status=status)
    with pytest.raises(ApplicationError) as raised:
        approve_order(order_id=order.pk)
    assert raised.value.code == "order_not_pending_review"
    assert order.number in raised.value.message


def test_rejecting_cancels_the_order_with_the_reason_and_tells_the_customer(ready):
    order = OrderFactory(customer=ready, plan=sim_plan())
    rejected = reject_order(
        order_id=order.pk, reason="  The address is outside our area.  ", now=NOW
    )
    assert rejected.status == OrderStatus.CANCELLED
    assert rejected.cancelled_at == NOW
    assert rejected.failure_reason == "The address is outside our area."
    [notification] = notifications_of(order)
    assert notification.type == "ORDER_FAILED"
    assert "The address is outside our area." in notification.message


def test_rejecting_needs_a_reason(ready):
    order = OrderFactory(customer=ready, plan=sim_plan())
    with pytest.raises(ApplicationError) as raised:
        reject_order(order_id=order.pk, reason="  ")
    assert raised.value.code == "validation_error"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_REVIEW


def test_an_approved_order_cannot_be_rejected(ready):
    order = OrderFactory(customer=ready, plan=sim_plan(), status="approved")
    with pytest.raises(ApplicationError):
        reject_order(order_id=order.pk, reason="Changed our mind.")
    assert notifications_of(order) == []


def test_resuming_fulfillment_runs_a_stuck_order_to_the_end(
    ready, django_capture_on_commit_callbacks
):
    order = OrderFactory(customer=ready, plan=sim_plan(), status="provisioning")
    with django_capture_on_commit_callbacks(execute=True):
        resume_fulfillment(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED


def test_fulfillment_leaves_an_order_the_operator_is_finishing_alone(ready):
    order = OrderFactory(
        customer=ready, plan=sim_plan(), status="provisioning", awaiting_operator=True
    )
    fulfill_order(order_id=order.pk)
    order.refresh_from_db()
    assert (order.status, order.provisioning_attempts) == (OrderStatus.PROVISIONING, 0)


def test_support_resuming_an_order_the_operator_holds_takes_it_back_and_fulfils_it(
    ready, django_capture_on_commit_callbacks
):
    order = OrderFactory(
        customer=ready, plan=sim_plan(), status="provisioning", awaiting_operator=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        resume_fulfillment(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert not order.awaiting_operator


@pytest.mark.parametrize("status", ["pending_review", "activated", "failed", "cancelled"])
def test_there_is_nothing_to_resume_outside_fulfillment(ready, status):
    order = OrderFactory(customer=ready, plan=sim_plan(), status=status)
    with pytest.raises(ApplicationError) as raised:
        resume_fulfillment(order_id=order.pk)
    assert raised.value.code == "order_not_in_fulfillment"


# --- The rules added for ordering with care -------------------------------------------------


def test_without_a_payment_method_an_order_is_refused(customer):
    set_eligibility(customer, "eligible")
    set_verification(customer, "verified")
    _conflict("payment_method_required", customer=customer, plan_code=sim_plan().code)


def test_a_second_internet_line_at_the_same_address_is_refused(ready):
    InternetSubscriptionFactory(customer=ready, installation_address=ADDRESS.upper())
    _conflict(
        "internet_already_active",
        customer=ready,
        plan_code=internet_plan().code,
        installation_address=ADDRESS,
    )


def test_an_internet_order_must_use_the_checked_address(ready):
    with pytest.raises(ApplicationError) as error:
        place_order(
            customer=ready,
            plan_code=internet_plan().code,
            installation_address="9-9-9 Somewhere Else",
        )
    assert error.value.code == "validation_error"
    assert "installationAddress" in error.value.fields


def test_a_pending_order_can_be_cancelled_once_and_again_is_the_same(ready):
    order = place_order(customer=ready, plan_code=sim_plan().code)
    first = cancel_order(customer=ready, order_id=order.pk)
    second = cancel_order(customer=ready, order_id=order.pk)
    assert first.status == second.status == OrderStatus.CANCELLED
    assert first.cancelled_at is not None
    # A new order of the kind may be placed again.
    assert place_order(customer=ready, plan_code=sim_plan().code)


@pytest.mark.parametrize("status", ["approved", "provisioning", "activated", "failed"])
def test_an_order_past_review_cannot_be_cancelled(ready, status):
    order = OrderFactory(customer=ready, plan=sim_plan(), status=status)
    with pytest.raises(ApplicationError) as error:
        cancel_order(customer=ready, order_id=order.pk)
    assert error.value.code == "order_not_cancellable"


def test_another_customers_order_cannot_be_cancelled(ready):
    order = OrderFactory(customer=CustomerFactory(), plan=sim_plan())
    from django.http import Http404

    with pytest.raises(Http404):
        cancel_order(customer=ready, order_id=order.pk)
