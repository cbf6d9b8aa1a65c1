"""Every form submitted twice at the same moment (a double click, a retrying browser), on
PostgreSQL with real concurrency: two threads, two connections, one barrier.

`FORMS` holds every page route that takes a POST, with what the form does once; the rest of
the page routes are listed in `READ_ONLY_PAGES`, and a test keeps the two lists equal to
the project's page routes, so a new form cannot be left out. Each double submit must
answer both requests without an error and leave exactly one effect: one order, one
cancellation, one payment method, one pending check... The same holds for the admin's
approve button and for the API's writes, below.

Already proven at the service level, and not repeated here: concurrent approvals
(tests/orders/test_concurrency.py::test_approving_one_order_at_once_approves_and_fulfills_it_once),
orders placed at once (test_placing_the_same_order_at_once_gives_one_order_and_conflicts),
two workers on one order (test_workers_fulfilling_one_order_at_once_make_one_subscription_and_notify_once),
cancellations at once (tests/subscriptions/test_services.py::test_concurrent_requests_schedule_exactly_one_cancellation),
replayed CRM events (tests/integration/test_salesforce_account_events.py::test_eight_concurrent_deliveries_verify_once_and_notify_once),
concurrent notify() and announcements (tests/notifications/test_concurrency.py) and billing
(tests/billing/test_concurrency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import Customer, EligibilityStatus, ResidenceCardVerification
from billing.models import Payment, PaymentMethod
from notifications.models import Notification
from orders.models import Order
from subscriptions.models import CancellationRequest
from subscriptions.services import offered_effective_dates, request_cancellation
from support.models import SupportMessage, SupportRequest
from tests.accounts.support import JPEG, PNG, upload
from tests.conftest import bearer_client
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.support import all_at_once
from tests.security.test_authorization_matrix import MATRIX


def concurrent(test: Callable[..., None]) -> Callable[..., None]:
    """Real concurrency: PostgreSQL, and committed rows the other threads can see."""
    return pytest.mark.postgres(pytest.mark.django_db(transaction=True)(test))


NEW_PASSWORD = "a-long-new-passphrase-42"


@dataclass(frozen=True)
class Form:
    """`prepare` makes what the form acts on and returns (path kwargs, POST data);
    `once` asserts the form's effect happened exactly once."""

    prepare: Callable[[Customer], tuple[dict[str, Any], dict[str, Any]]]
    once: Callable[[Customer], None]
    # A second submit may find the work done and say so with a form error (200) or, for
    # something it removed, not find it any more (404).
    answers: frozenset[int] = frozenset({200, 302})
    # The mailed link is opened first: it puts the token in the session and redirects.
    visit_first: bool = False


def _effective_on() -> str:
    return offered_effective_dates(now=timezone.now())[0].isoformat()


def _login(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"email": owner.user.email, "password": PASSWORD}


def _nothing(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {}


def _nothing_stored(owner: Customer) -> None:
    pass  # no row to count: both answers are checked against `answers`


def _language(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"language": "ja", "next": "/account/"}


def _in_japanese(owner: Customer) -> None:
    owner.refresh_from_db()
    assert owner.language == "ja"


def _eligibility(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"postal_code": "150-0002", "address": "1-2-3 Shibuya, Tokyo"}


def _one_pending_check(owner: Customer) -> None:
    owner.internet_eligibility.refresh_from_db()
    assert owner.internet_eligibility.status == EligibilityStatus.PENDING


def _card(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"front": JPEG, "back": PNG}  # files are made per request: see _post


def _one_card_in_review(owner: Customer) -> None:
    verification = ResidenceCardVerification.objects.get(customer=owner)
    assert verification.status == "pending"
    assert verification.front_image and verification.back_image


def _sim_order(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    ready_to_order(owner)
    return {}, {"kind": "sim", "sim-plan": sim_plan().code, "step": "confirm"}


def _one_order(owner: Customer) -> None:
    assert Order.objects.filter(customer=owner).count() == 1


def _cancel(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    subscription = SubscriptionFactory(customer=owner, plan=sim_plan())
    data = {
        "step": "confirm",
        "effective_on": _effective_on(),
        "reason": "moving",
        "comments": "",
        "confirm": "on",
    }
    return {"subscription_id": subscription.pk}, data


def _one_cancellation(owner: Customer) -> None:
    assert CancellationRequest.objects.filter(customer=owner).count() == 1


def _scheduled_cancellation(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    subscription = SubscriptionFactory(customer=owner, plan=sim_plan())
    request_cancellation(
        customer=owner,
        subscription_id=subscription.pk,
        effective_on=offered_effective_dates(now=timezone.now())[0],
        reason="moving",
    )
    return {"subscription_id": subscription.pk}, {}


def _withdrawn_once(owner: Customer) -> None:
    [cancellation] = CancellationRequest.objects.filter(customer=owner)
    assert cancellation.status == "withdrawn"
    withdrawn = Notification.objects.filter(user=owner.user, type="CANCELLATION_WITHDRAWN")
    assert withdrawn.count() == 1


def _notification(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"notification_id": NotificationFactory(user=owner.user).pk}, {}


def _read_once(owner: Customer) -> None:
    [notification] = Notification.objects.filter(user=owner.user)
    assert notification.read_at is not None


def _dismissed_once(owner: Customer) -> None:
    [notification] = Notification.objects.filter(user=owner.user)
    assert notification.archived_at is not None


def _archived(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    notification = NotificationFactory(user=owner.user, archived_at=timezone.now())
    return {"notification_id": notification.pk}, {}


def _back_in_the_inbox(owner: Customer) -> None:
    [notification] = Notification.objects.filter(user=owner.user)
    assert notification.archived_at is None


def _snooze(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"notification_id": NotificationFactory(user=owner.user).pk}, {"choice": "next_week"}


def _snoozed_once(owner: Customer) -> None:
    [notification] = Notification.objects.filter(user=owner.user)
    assert notification.snoozed_until is not None


def _bulk(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    ids = [NotificationFactory(user=owner.user).pk for _ in range(3)]
    return {}, {"ids": ids, "action": "archive"}


def _all_archived(owner: Customer) -> None:
    assert not Notification.objects.filter(user=owner.user, archived_at__isnull=True).exists()


def _all_seen(owner: Customer) -> None:
    assert not Notification.objects.filter(user=owner.user, seen_at__isnull=True).exists()


def _preferences(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"billing-in_app": "on", "announcements-email": "on"}


def _preferences_saved(owner: Customer) -> None:
    from notifications.models import NotificationPreference

    assert NotificationPreference.objects.filter(user=owner.user).count() == 5
    assert NotificationPreference.objects.get(user=owner.user, category="billing").email is False


def _device(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    from notifications.devices import register_device

    registered, _created = register_device(user=owner.user, platform="ios", token="twice")
    return {"device_id": registered.pk}, {}


def _device_forgotten(owner: Customer) -> None:
    from notifications.models import Device

    assert not Device.objects.filter(user=owner.user).exists()


def _unread(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    for _ in range(3):
        NotificationFactory(user=owner.user)
    return {}, {}


def _all_read(owner: Customer) -> None:
    assert not Notification.objects.filter(user=owner.user, read_at__isnull=True).exists()


def _card_token(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"token": "tok_visa"}


def _one_payment_method(owner: Customer) -> None:
    [method] = PaymentMethod.objects.filter(customer=owner)
    assert method.is_default


def _second_method(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    PaymentMethodFactory(customer=owner, is_default=True)
    return {"payment_method_id": PaymentMethodFactory(customer=owner).pk}, {}


def _confirmed_removal(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    kwargs, _data = _second_method(owner)
    return kwargs, {"confirm": "yes"}


def _one_left(owner: Customer) -> None:
    [method] = PaymentMethod.objects.filter(customer=owner)
    assert method.is_default


def _one_default(owner: Customer) -> None:
    assert PaymentMethod.objects.filter(customer=owner).count() == 2
    assert PaymentMethod.objects.filter(customer=owner, is_default=True).count() == 1


def _reset_request(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"email": owner.user.email}


def _one_reset_mail(owner: Customer) -> None:
    assert [message.to for message in mail.outbox] == [[owner.user.email]]


def _new_password(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    uid = urlsafe_base64_encode(force_bytes(owner.user.pk))
    kwargs = {"uidb64": uid, "token": default_token_generator.make_token(owner.user)}
    return kwargs, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def _password_changed(owner: Customer) -> None:
    owner.user.refresh_from_db()
    assert owner.user.check_password(NEW_PASSWORD)


def _pending_order(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    # The confirmation page's button: a POST without it only asks.
    return {"order_id": OrderFactory(customer=owner, plan=sim_plan()).pk}, {"confirm": "yes"}


def _cancelled_once(owner: Customer) -> None:
    [order] = Order.objects.filter(customer=owner)
    assert order.status == "cancelled"


def _invoice_to_pay(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    method = PaymentMethodFactory(customer=owner, is_default=True)
    invoice = InvoiceFactory(customer=owner)
    # The key the pay page put in its form: both submits carry the same one.
    return {"invoice_id": invoice.pk}, {"payment_method": method.pk, "key": "form-key"}


def _paid_once(owner: Customer) -> None:
    [payment] = Payment.objects.filter(customer=owner)
    assert payment.status == "succeeded"
    assert payment.invoice.status == "paid"


def _support_message(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"topic": "billing", "message": "Why twice?"}


def _one_support_request(owner: Customer) -> None:
    assert SupportRequest.objects.filter(customer=owner).count() == 1


def _support_thread(owner: Customer) -> int:
    from support.services import create_support_request

    return create_support_request(customer=owner, topic="other", message="Hello").support_request.pk


def _support_answer(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"request_id": _support_thread(owner)}, {"body": "Thanks"}


def _one_support_answer(owner: Customer) -> None:
    assert SupportMessage.objects.filter(request__customer=owner, body="Thanks").count() == 1


def _support_to_close(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"request_id": _support_thread(owner)}, {}


def _support_closed_once(owner: Customer) -> None:
    assert SupportRequest.objects.get(customer=owner).status == "closed"


def _test_card(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"number": "4242424242424242", "expiry": "08/30", "security_code": "123"}


def _profile(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"name": "Renamed Twice", "phone": "090-1234-5678", "language": "ja"}


def _profile_saved(owner: Customer) -> None:
    owner.refresh_from_db()
    assert (owner.name, owner.phone, owner.language) == ("Renamed Twice", "090-1234-5678", "ja")


def _password_change(owner: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    new = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    return {}, {"current_password": PASSWORD, **new}


FORMS: dict[str, Form] = {
    "login": Form(_login, _nothing_stored, frozenset({302})),
    "logout": Form(_nothing, _nothing_stored, frozenset({302})),
    "password_reset": Form(_reset_request, _one_reset_mail, frozenset({302})),
    # The second finds the link used up and says so.
    "password_reset_confirm": Form(_new_password, _password_changed, visit_first=True),
    "account-language": Form(_language, _in_japanese, frozenset({302})),
    "choose-language": Form(_language, _nothing_stored, frozenset({302})),
    "account-settings-profile": Form(_profile, _profile_saved, frozenset({302})),
    # The second may find the current password already changed and say so.
    "account-settings-password": Form(_password_change, _password_changed),
    "account-eligibility": Form(_eligibility, _one_pending_check),
    "account-verification": Form(_card, _one_card_in_review),
    "order-new": Form(_sim_order, _one_order, frozenset({302})),
    "service-cancel": Form(_cancel, _one_cancellation, frozenset({302})),
    # The second finds nothing left to withdraw and says so on the service page.
    "service-withdraw-cancellation": Form(
        _scheduled_cancellation, _withdrawn_once, frozenset({302})
    ),
    "notification-read": Form(_notification, _read_once, frozenset({302})),
    "notification-dismiss": Form(_notification, _dismissed_once, frozenset({302})),
    "notifications-read-all": Form(_unread, _all_read, frozenset({302})),
    "notification-archive": Form(_notification, _dismissed_once, frozenset({302})),
    "notification-unarchive": Form(_archived, _back_in_the_inbox, frozenset({302})),
    "notification-snooze": Form(_snooze, _snoozed_once, frozenset({302})),
    "notifications-bulk": Form(_bulk, _all_archived, frozenset({302})),
    "notification-bell-open": Form(_unread, _all_seen, frozenset({302})),
    "notification-settings": Form(_preferences, _preferences_saved, frozenset({302})),
    # The second finds the phone already forgotten.
    "device-forget": Form(_device, _device_forgotten, frozenset({302, 404})),
    "billing-payment-method-add": Form(_card_token, _one_payment_method, frozenset({302})),
    "billing-payment-method-remove": Form(_confirmed_removal, _one_left, frozenset({302, 404})),
    "billing-payment-method-default": Form(_second_method, _one_default, frozenset({302})),
    "order-cancel": Form(_pending_order, _cancelled_once, frozenset({302})),
    "billing-invoice-pay": Form(_invoice_to_pay, _paid_once, frozenset({302})),
    "support": Form(_support_message, _one_support_request, frozenset({302})),
    "support-request": Form(_support_answer, _one_support_answer, frozenset({302})),
    "support-request-close": Form(_support_to_close, _support_closed_once, frozenset({302})),
    # The processor's card form stores nothing: each submit sends a token back to the portal.
    "test-processor-card": Form(_test_card, _nothing_stored, frozenset({302})),
}

READ_ONLY_PAGES = {
    "<root>",
    "password_reset_done",
    "password_reset_complete",
    "healthz",
    "readyz",
    "dashboard",
    "dashboard-parts",
    "notifications",
    "notification-bell",
    "notifications-latest",
    "order-list",
    "order-detail",
    "services",
    "service",
    "billing",
    "billing-invoices",
    "billing-invoice",
    "billing-payment-methods",
    "billing-invoice-pdf",
    "billing-payment-receipt",
    "billing-payments",
    "billing-refund-pdf",
    "account-settings",
    "announcement",
}


def test_every_page_route_is_a_form_here_or_read_only() -> None:
    pages = {key for key, route in MATRIX.items() if not route.api}
    assert set(FORMS) | READ_ONLY_PAGES == pages
    assert not set(FORMS) & READ_ONLY_PAGES


def _post(client: Client, path: str, data: dict[str, Any]) -> Any:
    if "front" in data:
        # Each request uploads its own copy of the files, as two browser submits do.
        data = {"front": upload("front.jpg", JPEG), "back": upload("back.png", PNG, "image/png")}
    return client.post(path, data)


@concurrent
@pytest.mark.parametrize("key", sorted(FORMS))
def test_a_form_submitted_twice_at_once_acts_once(key: str, private_storage: Any) -> None:
    owner = CustomerFactory()
    form = FORMS[key]
    kwargs, data = form.prepare(owner)
    path = reverse(key, kwargs=kwargs)
    clients = []
    for _ in range(2):
        client = Client()
        if key not in ("login", "password_reset", "password_reset_confirm"):
            client.force_login(owner.user)
        clients.append(client)
    if form.visit_first:
        # Each browser opens the mailed link, which keeps the token in its session.
        [path] = {client.get(path)["Location"] for client in clients}
    if key == "logout":
        clients[1].cookies = clients[0].cookies  # one browser session, submitted twice

    outcome = all_at_once(2, lambda index: _post(clients[index], path, data))

    assert outcome.errors == []
    statuses = sorted(response.status_code for response in outcome.results)
    assert set(statuses) <= form.answers, statuses
    assert statuses[0] in (200, 302)  # at least one of them went through
    form.once(owner)


@concurrent
def test_the_admin_approve_button_clicked_twice_approves_once() -> None:
    customer = ready_to_order(CustomerFactory())
    order = OrderFactory(customer=customer, plan=sim_plan())
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(StaffUserFactory())
        clients.append(client)
    path = f"/admin/orders/order/{order.pk}/approve/"

    outcome = all_at_once(2, lambda index: clients[index].post(path))

    assert outcome.errors == []
    assert [response.status_code for response in outcome.results] == [302, 302]
    order.refresh_from_db()
    assert order.status == "activated"  # Celery runs in-process here
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
    assert customer.subscriptions.count() == 1


# --- The API's writes, sent twice at once -------------------------------------------------


@dataclass(frozen=True)
class ApiWrite:
    method: str
    prepare: Callable[[Customer], tuple[str, dict[str, Any]]]
    once: Callable[[Customer], None]
    answers: frozenset[int]


def _api_order(owner: Customer) -> tuple[str, dict[str, Any]]:
    ready_to_order(owner)
    return "/api/orders", {"planCode": sim_plan().code}


def _api_cancel(owner: Customer) -> tuple[str, dict[str, Any]]:
    subscription = SubscriptionFactory(customer=owner, plan=sim_plan())
    body = {"effectiveOn": _effective_on(), "reason": "moving"}
    return f"/api/subscriptions/{subscription.pk}/cancellation", body


def _api_eligibility(owner: Customer) -> tuple[str, dict[str, Any]]:
    return "/api/me/internet-eligibility", {"postalCode": "1500002", "address": "Shibuya 1-2-3"}


def _api_card_token(owner: Customer) -> tuple[str, dict[str, Any]]:
    return "/api/payment-methods", {"token": "tok_visa"}


def _api_remove(owner: Customer) -> tuple[str, dict[str, Any]]:
    kwargs, _data = _second_method(owner)
    return f"/api/payment-methods/{kwargs['payment_method_id']}", {}


def _api_device(owner: Customer) -> tuple[str, dict[str, Any]]:
    return "/api/me/devices", {"platform": "android", "token": "registered-twice"}


def _one_device(owner: Customer) -> None:
    from notifications.models import Device

    assert Device.objects.filter(user=owner.user, token="registered-twice").count() == 1


def _api_forget_device(owner: Customer) -> tuple[str, dict[str, Any]]:
    kwargs, _data = _device(owner)
    return f"/api/me/devices/{kwargs['device_id']}", {}


def _api_support_answer(owner: Customer) -> tuple[str, dict[str, Any]]:
    return f"/api/support/requests/{_support_thread(owner)}/messages", {"body": "Thanks"}


API_WRITES = {
    # One wins, the other is refused with the documented conflict.
    "place an order": ApiWrite("POST", _api_order, _one_order, frozenset({201, 409})),
    "cancel a service": ApiWrite("POST", _api_cancel, _one_cancellation, frozenset({202, 409})),
    "ask for eligibility": ApiWrite(
        "POST", _api_eligibility, _one_pending_check, frozenset({202, 409})
    ),
    # The same token twice is the same method: 201 then 200.
    "add a card": ApiWrite("POST", _api_card_token, _one_payment_method, frozenset({200, 201})),
    "remove a card": ApiWrite("DELETE", _api_remove, _one_left, frozenset({204, 404})),
    # The same token twice is the same phone: 201 then 200.
    "register a phone": ApiWrite("POST", _api_device, _one_device, frozenset({200, 201})),
    "forget a phone": ApiWrite(
        "DELETE", _api_forget_device, _device_forgotten, frozenset({204, 404})
    ),
    # The same answer twice is the one message stored.
    "answer support": ApiWrite("POST", _api_support_answer, _one_support_answer, frozenset({201})),
}


@concurrent
@pytest.mark.parametrize("name", sorted(API_WRITES))
def test_an_api_write_sent_twice_at_once_acts_once(name: str) -> None:
    owner = CustomerFactory()
    write = API_WRITES[name]
    path, body = write.prepare(owner)
    clients: list[APIClient] = [bearer_client(owner.user), bearer_client(owner.user)]

    def send(index: int) -> Any:
        if write.method == "DELETE":
            return clients[index].delete(path)
        return clients[index].post(path, body, format="json")

    outcome = all_at_once(2, send)

    assert outcome.errors == []
    statuses = sorted(response.status_code for response in outcome.results)
    assert set(statuses) <= write.answers, [r.content for r in outcome.results]
    assert statuses[0] < 300
    write.once(owner)


# --- Thirty dashboard reads at once -------------------------------------------------------


@concurrent
def test_thirty_dashboard_reads_at_once_create_one_invoice_reminder() -> None:
    customer = CustomerFactory()
    PaymentMethodFactory(customer=customer, is_default=True)
    invoice = InvoiceFactory(customer=customer, due_date=timezone.localdate() - timedelta(days=3))
    clients = [bearer_client(customer.user) for _ in range(30)]

    outcome = all_at_once(30, lambda index: clients[index].get("/api/me/status"))

    assert outcome.errors == []
    assert [response.status_code for response in outcome.results] == [200] * 30
    assert all(
        response.json()["tasks"][0]["id"] == f"invoice_due:{invoice.pk}"
        for response in outcome.results
    )
    reminders = Notification.objects.filter(user=customer.user, type="INVOICE_DUE")
    assert reminders.count() == 1
    assert reminders.get().source_id == str(invoice.pk)
