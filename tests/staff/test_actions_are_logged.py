"""Each staff button goes through its service, which logs who did what to which customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from eligibility.services import record_eligibility_result
from orders.models import OrderStatus
from staff.models import StaffAction
from subscriptions.models import CancellationStatus
from tests.accounts.support import JPEG, upload
from tests.factories import CancellationRequestFactory, OrderFactory
from tests.orders.support import ready_to_order, sim_plan
from verification.services.review import submit_residence_card

pytestmark = pytest.mark.django_db


def _only_action() -> StaffAction:
    (action,) = StaffAction.objects.all()
    return action


def test_approving_an_order_is_logged(
    support, support_user, customer, django_capture_on_commit_callbacks
):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(f"/admin/orders/order/{order.pk}/approve/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    action = _only_action()
    assert (action.actor, action.action, action.customer) == (
        support_user,
        "order_approved",
        customer,
    )
    assert action.subject_label == order.number


def test_rejecting_an_order_logs_the_reason(support, customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    support.post(
        f"/admin/orders/order/{order.pk}/reject/",
        {"reason": "Address not served", "reason_ja": "提供エリア外"},
    )
    action = _only_action()
    assert (action.action, action.reason) == ("order_rejected", "Address not served\n提供エリア外")


def test_resuming_fulfillment_is_logged_and_a_refusal_logs_nothing(support, customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    response = support.post(f"/admin/orders/order/{order.pk}/resume/", follow=True)
    assert "nothing to resume" in response.content.decode()
    assert not StaffAction.objects.exists()
    order.status = OrderStatus.APPROVED
    order.save()
    support.post(f"/admin/orders/order/{order.pk}/resume/")
    assert _only_action().action == "fulfillment_resumed"


def test_verifying_a_card_is_logged_with_its_expiry(support, support_user, customer):
    verification = submit_residence_card(
        customer=customer,
        front=upload("front.jpg", JPEG),
        back=upload("back.jpg", JPEG),
        now=timezone.now(),
    )
    expires = timezone.localdate() + timedelta(days=400)
    support.post(
        f"/admin/accounts/residencecardverification/{verification.pk}/review/",
        {"status": "verified", "card_expires_on": expires.isoformat()},
    )
    action = _only_action()
    assert (action.actor, action.action, action.customer) == (
        support_user,
        "card_verified",
        customer,
    )
    assert action.details == {"cardExpiresOn": expires.isoformat()}


def test_setting_eligibility_is_logged_with_the_notes(support, customer):
    eligibility = customer.internet_eligibility
    support.post(
        f"/admin/accounts/interneteligibility/{eligibility.pk}/result/",
        {"status": "eligible", "notes": "Fiber in the building.", "notes_ja": "光回線あり。"},
    )
    action = _only_action()
    assert (action.action, action.reason, action.details) == (
        "eligibility_set",
        "Fiber in the building.\n光回線あり。",
        {"status": "eligible"},
    )
    # The same result again changes nothing and logs nothing.
    support.post(
        f"/admin/accounts/interneteligibility/{eligibility.pk}/result/",
        {"status": "eligible", "notes": "Fiber in the building.", "notes_ja": "光回線あり。"},
    )
    assert StaffAction.objects.count() == 1


def test_the_crm_deciding_logs_no_staff_action(customer):
    record_eligibility_result(customer=customer, status="eligible", now=timezone.now())
    assert not StaffAction.objects.exists()


def test_withdrawing_and_completing_cancellations_are_logged(support, customer):
    now = timezone.now()
    scheduled = CancellationRequestFactory(subscription__customer=customer, customer=customer)
    support.post(f"/admin/subscriptions/cancellationrequest/{scheduled.pk}/withdraw/")
    scheduled.refresh_from_db()
    assert scheduled.status == CancellationStatus.WITHDRAWN
    assert _only_action().action == "cancellation_withdrawn"

    due = CancellationRequestFactory(
        subscription__customer=customer,
        customer=customer,
        effective_on=timezone.localdate(now) - timedelta(days=1),
    )
    support.post(f"/admin/subscriptions/cancellationrequest/{due.pk}/complete/")
    due.refresh_from_db()
    assert due.status == CancellationStatus.COMPLETED
    assert (
        StaffAction.objects.filter(action="cancellation_completed", customer=customer).count() == 1
    )


def test_a_customer_cannot_use_the_buttons(client, customer):
    order = OrderFactory(customer=customer, plan=sim_plan())
    client.force_login(customer.user)
    response = client.post(f"/admin/orders/order/{order.pk}/approve/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not StaffAction.objects.exists()


def test_the_log_is_listed_filtered_by_customer(support, customer, other_customer):
    for who in (customer, other_customer):
        ready_to_order(who)
        order = OrderFactory(customer=who, plan=sim_plan())
        support.post(
            f"/admin/orders/order/{order.pk}/reject/",
            {"reason": f"for {who.name}", "reason_ja": "理由"},
        )
    response = support.get(f"/admin/staff/staffaction/?customer__id__exact={customer.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"for {customer.name}" in page and f"for {other_customer.name}" not in page
    by_action = support.get("/admin/staff/staffaction/?action__exact=order_rejected")
    assert by_action.context["cl"].result_count == 2


def test_the_log_page_of_an_action_is_read_only(support, support_user: User, customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    support.post(
        f"/admin/orders/order/{order.pk}/reject/", {"reason": "No stock", "reason_ja": "在庫切れ"}
    )
    action = _only_action()
    url = f"/admin/staff/staffaction/{action.pk}/change/"
    assert support.get(url).status_code == 200
    assert support.post(url, {"reason": "edited"}).status_code == 403
    action.refresh_from_db()
    assert action.reason == "No stock\n在庫切れ"


def test_the_decision_pages_use_the_admin_form_styles(support, customer):
    for url in (
        f"/admin/accounts/residencecardverification/{customer.residence_card_verification.pk}/review/",
        f"/admin/accounts/interneteligibility/{customer.internet_eligibility.pk}/result/",
    ):
        response = support.get(url)
        assert response.status_code == 200
        assert "admin/css/forms.css" in response.content.decode()


def test_support_replies_to_a_request_in_a_stated_language_and_it_is_logged(
    support, support_user, customer
):
    from support.models import SupportRequestStatus
    from support.services import create_support_request

    created = create_support_request(
        customer=customer, topic="billing", message="Why was I charged twice?", now=timezone.now()
    )
    support_request = created.support_request
    page = support.get(f"/admin/support/supportrequest/{support_request.pk}/change/")
    assert f"/admin/support/supportrequest/{support_request.pk}/reply/" in page.content.decode()
    url = f"/admin/support/supportrequest/{support_request.pk}/reply/"
    assert support.get(url).context["form"].initial["language"] == customer.language
    response = support.post(url, {"language": "ja", "message": "ご迷惑をおかけしました。"})
    assert response.status_code == 302
    support_request.refresh_from_db()
    assert support_request.status == SupportRequestStatus.WAITING_ON_CUSTOMER
    reply = support_request.messages.get(author_kind="staff")
    assert (reply.staff_author, reply.language) == (support_user, "ja")
    action = _only_action()
    assert (action.action, action.customer, action.details) == (
        "support_reply",
        customer,
        {"language": "ja", "message_id": reply.pk},
    )

    support.post(f"/admin/support/supportrequest/{support_request.pk}/close/")
    support_request.refresh_from_db()
    assert support_request.status == SupportRequestStatus.CLOSED
    assert StaffAction.objects.filter(action="support_closed").count() == 1
    support.post(f"/admin/support/supportrequest/{support_request.pk}/close/")
    assert StaffAction.objects.filter(action="support_closed").count() == 1


def test_replaying_crm_events_is_logged_per_event(support, customer):
    from crm.models import CrmEvent

    now = timezone.now()
    failed = CrmEvent.objects.create(
        event_id="evt-failed",
        type="AccountChanged",
        account_id=customer.crm_account_id,
        customer=customer,
        occurred_at=now,
        payload={},
        raw_body="{}",
        received_at=now,
        state="failed",
    )
    support.post(
        "/admin/crm/crmevent/",
        {"action": "replay", "_selected_action": [failed.pk]},
    )
    action = _only_action()
    assert (action.action, action.customer, action.subject_label) == (
        "crm_event_replayed",
        customer,
        "evt-failed",
    )
