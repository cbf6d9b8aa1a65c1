"""Every write to what the dashboard snapshot reads shows in the very next `GET /api/me/status`.

The models are not listed by hand: they are the tables the snapshot's statements read. For
each of them, every way to write it must have a row in WRITES: the customer's API or a
service, every button and list action its admin page offers (found from the admin itself),
its change form if it has an editable one, and a bulk `update()` (or `delete()`) as a data
fix in a shell would do. A model added to the snapshot, or a button added to an admin page,
without a row here fails `test_every_write_path_of_every_snapshot_model_is_here`.

Each row arranges a customer, reads the snapshot, writes, reads again, and checks that the
second read shows the write (and that the first did not). With Redis configured (CI) the
production cache settings are on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection, models
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Customer, InternetEligibility, ResidenceCardVerification, User
from accounts.services import set_language
from billing.models import Invoice, Payment, PaymentMethod
from billing.services.invoices import mark_invoice_paid
from billing.services.payment_methods import remove_payment_method
from dashboard.services import build_me_status
from notifications.models import Announcement, Notification, NotificationPreference
from notifications.services.announcements import announcement_context
from notifications.services.notify import notify
from notifications.services.preferences import update_notification_preferences
from orders.models import Order
from orders.services.review import reject_order
from subscriptions import services as subscription_services
from subscriptions.models import CancellationRequest, Plan, Subscription
from tests.conftest import bearer_client
from tests.factories import (
    CancellationRequestFactory,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    PlanFactory,
    SubscriptionFactory,
)
from verification.services.review import review_residence_card

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def production_cache(settings):
    """Redis as the cache when it is configured, as in production (it must not matter)."""
    from django.conf import settings as live

    redis_url = getattr(live, "REDIS_URL", "") or ""
    if redis_url:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "snapshot-write-paths",
            }
        }


@dataclass
class World:
    customer: Customer
    api: APIClient
    staff: Client
    # What `arrange` made (an invoice, an order, ...), for `write`.
    subject: Any = None
    # Read with the customer's access token, as the apps do (for rows about the login).
    bearer: bool = False


@dataclass(frozen=True)
class Write:
    model: type[models.Model]
    # "api" / "service", "admin:<url name>", "admin-action:<name>", "admin-form", "update",
    # "delete", "time"
    path: str
    arrange: Callable[[World], Any]
    write: Callable[[World], None]
    # What the snapshot shows of the thing written (compared before and after).
    seen: Callable[[dict[str, Any]], Any]
    # False for a write the snapshot shows nothing of: then `seen` must stay the same.
    shown: bool = True

    @property
    def id(self) -> str:
        return f"{self.model.__name__}-{self.path}"


# --- What the snapshot shows ---------------------------------------------------------------


def http_status(body: dict[str, Any]) -> int:
    return body.get("httpStatus", 200)


def stats(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda body: body["summary"]["stats"][name]


def task_types(body: dict[str, Any]) -> list[str]:
    return [task["type"] for task in body["tasks"]]


def tasks_of(type: str) -> Callable[[dict[str, Any]], Any]:
    return lambda body: [
        (task["title"], task["description"]) for task in body["tasks"] if task["type"] == type
    ]


def activity(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["id"], entry["occurredAt"]) for entry in body["summary"]["recentActivity"]]


def eligibility(body: dict[str, Any]) -> str:
    return body["internetEligibility"]["status"]


def verification(body: dict[str, Any]) -> str:
    return body["residenceCardVerification"]["status"]


def payment_methods(body: dict[str, Any]) -> int:
    return body["paymentMethods"]["totalCount"]


def invoices(body: dict[str, Any]) -> tuple[Any, ...]:
    summary = body["summary"]
    return (
        summary["stats"]["unpaidInvoices"],
        summary["nextInvoice"],
        tasks_of("invoice_due")(body),
    )


def orders(body: dict[str, Any]) -> tuple[Any, ...]:
    return (stats("ordersInProgress")(body), tasks_of("order_in_progress")(body))


# --- Arranging ------------------------------------------------------------------------------


def an_unpaid_invoice(world: World) -> Invoice:
    return InvoiceFactory(
        customer=world.customer, due_date=timezone.localdate() + timedelta(days=3)
    )


def a_paid_invoice_with_its_payment(world: World) -> Invoice:
    invoice = InvoiceFactory(customer=world.customer, status="paid", paid_at=timezone.now())
    Payment.objects.create(
        customer=world.customer,
        invoice=invoice,
        idempotency_key="snapshot-refund",
        amount=invoice.total,
        status="succeeded",
        processor_reference="ch_test_snapshot",
        created_at=timezone.now(),
        paid_at=timezone.now(),
    )
    return invoice


def an_order(status: str) -> Callable[[World], Order]:
    def arrange(world: World) -> Order:
        plan = PlanFactory(kind="sim")
        return OrderFactory(customer=world.customer, plan=plan, status=status)

    return arrange


def a_scheduled_cancellation(world: World) -> CancellationRequest:
    subscription = SubscriptionFactory(customer=world.customer, status="cancellation_scheduled")
    return CancellationRequestFactory(
        subscription=subscription,
        effective_on=timezone.localdate() - timedelta(days=1),
        requested_at=timezone.now() - timedelta(days=20),
    )


def a_future_cancellation(world: World) -> CancellationRequest:
    subscription = SubscriptionFactory(customer=world.customer, status="cancellation_scheduled")
    return CancellationRequestFactory(subscription=subscription)


def plan_form_data(plan: Plan, **changes: Any) -> dict[str, Any]:
    data = {**model_to_dict(plan), **changes}
    return {key: value for key, value in data.items() if value is not None and key != "id"}


def plan_form_post(**changes: Any) -> Callable[[World], None]:
    def write(world: World) -> None:
        plan = Plan.objects.get(pk=world.subject.plan_id)
        url = reverse("admin:subscriptions_plan_change", args=[plan.pk])
        response = world.staff.post(url, {**plan_form_data(plan, **changes), "_save": "Save"})
        assert response.status_code == 302, response.content[:2000]

    return write


def pending_eligibility(world: World) -> None:
    world.api.post(
        "/api/me/internet-eligibility",
        {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"},
        format="json",
    )


def pending_verification(world: World) -> None:
    ResidenceCardVerification.objects.filter(customer=world.customer).update(
        status="pending", submitted_at=timezone.now()
    )


def an_active_subscription(world: World) -> Subscription:
    return SubscriptionFactory(customer=world.customer)


def an_unread_notification(world: World) -> Notification:
    return NotificationFactory(user=world.customer.user)


def an_unread_announcement_kept_in_app(world: World) -> Notification:
    update_notification_preferences(
        user=world.customer.user, changes={"announcements": {"in_app": True}}
    )
    return an_unread_notification(world)


def a_payment_method(world: World) -> PaymentMethod:
    # Something to start: the task that asks for a payment method needs it.
    pending_eligibility(world)
    return PaymentMethodFactory(customer=world.customer)


def with_token(world: World) -> Customer:
    world.bearer = True
    world.api = bearer_client(world.customer.user)
    return world.customer


def with_token_deactivated(world: World) -> Customer:
    with_token(world)
    User.objects.filter(pk=world.customer.user_id).update(is_active=False)
    return world.customer


def started(world: World) -> None:
    pending_eligibility(world)


def nothing(world: World) -> None:
    return None


# --- Writing ------------------------------------------------------------------------------


def _expect_redirect(response: Any) -> None:
    assert response.status_code == 302, response.content[:2000]


def admin_post(url_name: str, data: dict[str, Any] | None = None) -> Callable[[World], None]:
    def write(world: World) -> None:
        response = world.staff.post(reverse(url_name, args=[world.subject.pk]), data or {})
        assert response.status_code in (200, 302), response.status_code

    return write


def admin_action(model: type[models.Model], action: str, **data: Any) -> Callable[[World], None]:
    def write(world: World) -> None:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = world.staff.post(
            url, {"action": action, ACTION_CHECKBOX_NAME: [world.subject.pk], **data}
        )
        assert response.status_code in (200, 302), response.status_code

    return write


def travel(days: int) -> Callable[[World], None]:
    def write(world: World) -> None:
        world.subject = time_machine.travel(timezone.now() + timedelta(days=days), tick=True)
        world.subject.start()

    return write


WRITES: list[Write] = [
    # Customer: the language the snapshot's copy is written in.
    Write(
        Customer,
        "update",
        nothing,
        lambda world: Customer.objects.filter(pk=world.customer.pk).update(language="ja"),
        tasks_of("onboarding"),
    ),
    Write(
        Customer,
        "service",
        nothing,
        lambda world: set_language(customer=world.customer, language="ja"),
        tasks_of("onboarding"),
    ),
    # The customer's login: closed and opened again by support.
    Write(
        Customer,
        "admin:accounts_customer_deactivate",
        with_token,
        admin_post("admin:accounts_customer_deactivate", {"reason": "Asked to close."}),
        http_status,
    ),
    Write(
        Customer,
        "admin:accounts_customer_reactivate",
        with_token_deactivated,
        admin_post("admin:accounts_customer_reactivate", {"reason": "Came back."}),
        http_status,
    ),
    # Internet eligibility.
    Write(InternetEligibility, "api", nothing, pending_eligibility, eligibility),
    Write(
        InternetEligibility,
        "admin:accounts_interneteligibility_result",
        pending_eligibility,
        lambda world: world.staff.post(
            reverse(
                "admin:accounts_interneteligibility_result",
                args=[InternetEligibility.objects.get(customer=world.customer).pk],
            ),
            {"status": "eligible", "notes": ""},
        ),
        eligibility,
    ),
    Write(
        InternetEligibility,
        "update",
        pending_eligibility,
        lambda world: InternetEligibility.objects.filter(customer=world.customer).update(
            status="ineligible"
        ),
        eligibility,
    ),
    # Residence card verification.
    Write(
        ResidenceCardVerification,
        "service",
        pending_verification,
        lambda world: review_residence_card(
            customer=world.customer,
            status="rejected",
            reviewer=User.objects.get(email="staff-writer@example.com"),
            card_expires_on=None,
            rejection_reason="The photo is blurred.",
            now=timezone.now(),
        ),
        verification,
    ),
    Write(
        ResidenceCardVerification,
        "admin:accounts_residencecardverification_review",
        pending_verification,
        lambda world: world.staff.post(
            reverse(
                "admin:accounts_residencecardverification_review",
                args=[ResidenceCardVerification.objects.get(customer=world.customer).pk],
            ),
            {
                "status": "rejected",
                "rejection_reason": "The photo is blurred.",
                "rejection_reason_ja": "写真がぼやけています。",
            },
        ),
        verification,
    ),
    Write(
        ResidenceCardVerification,
        "update",
        pending_verification,
        lambda world: ResidenceCardVerification.objects.filter(customer=world.customer).update(
            status="verified"
        ),
        verification,
    ),
    # Subscriptions.
    Write(
        Subscription,
        "service",
        a_scheduled_cancellation,
        lambda world: subscription_services.complete_cancellation(
            cancellation_request_id=world.subject.pk, now=timezone.now()
        ),
        stats("activeSubscriptions"),
    ),
    Write(
        Subscription,
        "update",
        an_active_subscription,
        lambda world: Subscription.objects.filter(customer=world.customer).update(
            status="cancelled"
        ),
        stats("activeSubscriptions"),
    ),
    # Plans: the name in an order's task.
    Write(
        Plan,
        "update",
        an_order("pending_review"),
        lambda world: Plan.objects.filter(pk=world.subject.plan_id).update(name="Renamed plan"),
        tasks_of("order_in_progress"),
    ),
    # Orders.
    Write(
        Order,
        "service",
        an_order("pending_review"),
        lambda world: reject_order(order_id=world.subject.pk, reason="No stock."),
        orders,
    ),
    Write(
        Order,
        "admin:orders_order_approve",
        an_order("pending_review"),
        admin_post("admin:orders_order_approve"),
        orders,
    ),
    Write(
        Order,
        "admin:orders_order_reject",
        an_order("pending_review"),
        admin_post("admin:orders_order_reject", {"reason": "No stock.", "reason_ja": "在庫切れ"}),
        orders,
    ),
    Write(
        Order,
        "admin:orders_order_resume",
        an_order("approved"),
        admin_post("admin:orders_order_resume"),
        orders,
    ),
    Write(
        Order,
        "admin-action:approve_selected",
        an_order("pending_review"),
        admin_action(Order, "approve_selected"),
        orders,
    ),
    Write(
        Order,
        "admin-action:reject_selected",
        an_order("pending_review"),
        admin_action(Order, "reject_selected", reason="No stock.", reason_ja="在庫切れ", apply="1"),
        orders,
    ),
    Write(
        Order,
        "admin-action:resume_fulfillment_selected",
        an_order("approved"),
        admin_action(Order, "resume_fulfillment_selected"),
        orders,
    ),
    Write(
        Order,
        "update",
        an_order("pending_review"),
        lambda world: Order.objects.filter(pk=world.subject.pk).update(status="cancelled"),
        orders,
    ),
    # Invoices.
    Write(
        Invoice,
        "service",
        an_unpaid_invoice,
        lambda world: mark_invoice_paid(invoice_id=world.subject.pk),
        invoices,
    ),
    Write(
        Invoice,
        "admin:billing_invoice_mark_paid",
        an_unpaid_invoice,
        admin_post("admin:billing_invoice_mark_paid"),
        invoices,
    ),
    # A refund changes a paid invoice (refunded), which the snapshot does not show as owed.
    Write(
        Invoice,
        "admin:billing_invoice_refund",
        a_paid_invoice_with_its_payment,
        admin_post(
            "admin:billing_invoice_refund",
            {"amount": "100", "reason": "Goodwill", "key": "snapshot-refund"},
        ),
        invoices,
        shown=False,
    ),
    Write(
        Invoice,
        "admin:billing_invoice_cancel",
        an_unpaid_invoice,
        admin_post("admin:billing_invoice_cancel", {"reason": "Billed in error."}),
        invoices,
    ),
    Write(
        Invoice,
        "admin-action:mark_paid",
        an_unpaid_invoice,
        admin_action(Invoice, "mark_paid"),
        invoices,
    ),
    Write(
        Invoice,
        "update",
        an_unpaid_invoice,
        lambda world: Invoice.objects.filter(pk=world.subject.pk).update(status="paid"),
        invoices,
    ),
    Write(Invoice, "time", an_unpaid_invoice, travel(4), invoices),
    # Notifications.
    Write(
        Notification,
        "api",
        an_unread_notification,
        lambda world: world.api.post(f"/api/notifications/{world.subject.pk}/read"),
        stats("unreadNotifications"),
    ),
    Write(
        Notification,
        "service",
        nothing,
        lambda world: notify(
            user=world.customer.user,
            type="SYSTEM_ANNOUNCEMENT",
            source_id=1,
            context=announcement_context(
                Announcement.objects.create(title="Maintenance", message="Tonight.")
            ),
        ),
        stats("unreadNotifications"),
    ),
    Write(
        Notification,
        "update",
        an_unread_notification,
        lambda world: Notification.objects.filter(pk=world.subject.pk).update(
            read_at=timezone.now()
        ),
        stats("unreadNotifications"),
    ),
    Write(Notification, "time", an_unread_notification, travel(31), stats("unreadNotifications")),
    # What the customer chose to see in the app.
    Write(
        NotificationPreference,
        "api",
        an_unread_notification,
        lambda world: world.api.put(
            "/api/me/notification-preferences",
            {"categories": {"announcements": {"inApp": False}}},
            format="json",
        ),
        stats("unreadNotifications"),
    ),
    Write(
        NotificationPreference,
        "update",
        an_unread_announcement_kept_in_app,
        lambda world: NotificationPreference.objects.filter(user=world.customer.user).update(
            in_app=False
        ),
        stats("unreadNotifications"),
    ),
    # Cancellations.
    Write(
        CancellationRequest,
        "api",
        an_active_subscription,
        lambda world: world.api.post(
            f"/api/subscriptions/{world.subject.pk}/cancellation",
            {
                "effectiveOn": world.api.get(
                    f"/api/subscriptions/{world.subject.pk}/cancellation-options"
                ).json()["effectiveDates"][0],
                "reason": "moving",
            },
            format="json",
        ),
        activity,
    ),
    Write(
        CancellationRequest,
        "admin:subscriptions_cancellationrequest_complete",
        a_scheduled_cancellation,
        admin_post("admin:subscriptions_cancellationrequest_complete"),
        stats("activeSubscriptions"),
    ),
    Write(
        CancellationRequest,
        "admin-action:complete",
        a_scheduled_cancellation,
        admin_action(CancellationRequest, "complete"),
        stats("activeSubscriptions"),
    ),
    Write(
        CancellationRequest,
        "update",
        a_scheduled_cancellation,
        lambda world: CancellationRequest.objects.filter(pk=world.subject.pk).update(
            requested_at=timezone.now() - timedelta(days=2)
        ),
        activity,
    ),
    # Withdrawing a scheduled cancellation keeps the service running (it was counted as
    # running already) and the request in the recent activity: nothing to show.
    Write(
        CancellationRequest,
        "admin:subscriptions_cancellationrequest_withdraw",
        a_future_cancellation,
        admin_post("admin:subscriptions_cancellationrequest_withdraw"),
        stats("activeSubscriptions"),
        shown=False,
    ),
    Write(
        CancellationRequest,
        "admin-action:withdraw",
        a_future_cancellation,
        admin_action(CancellationRequest, "withdraw"),
        stats("activeSubscriptions"),
        shown=False,
    ),
    # Plans from the admin's form: the name in an order's task.
    Write(
        Plan,
        "admin-form",
        an_order("pending_review"),
        plan_form_post(name="Renamed plan"),
        tasks_of("order_in_progress"),
    ),
    # A new plan, or one deleted before anybody ordered it, is in nobody's snapshot.
    Write(
        Plan,
        "admin-add",
        nothing,
        lambda world: _expect_redirect(
            world.staff.post(
                reverse("admin:subscriptions_plan_add"), plan_form_data(PlanFactory.build())
            )
        ),
        task_types,
        shown=False,
    ),
    Write(
        Plan,
        "admin-action:delete_selected",
        lambda world: PlanFactory(),
        admin_action(Plan, "delete_selected", post="yes"),
        task_types,
        shown=False,
    ),
    # Payment methods: counted by the billing provider.
    Write(
        PaymentMethod,
        "api",
        started,
        lambda world: world.api.post("/api/payment-methods", {"token": "tok_visa"}, format="json"),
        payment_methods,
    ),
    Write(
        PaymentMethod,
        "service",
        a_payment_method,
        lambda world: remove_payment_method(
            customer=world.customer, payment_method_id=world.subject.pk
        ),
        payment_methods,
    ),
    Write(
        PaymentMethod,
        "delete",
        a_payment_method,
        lambda world: PaymentMethod.objects.filter(customer=world.customer).delete(),
        payment_methods,
    ),
]

# Admin routes that only read.
ADMIN_READS = {"admin:accounts_residencecardverification_image"}
# Models no service writes (catalog data, written by migrations and the admin).
NO_SERVICE = {Plan}


# --- The tests -------------------------------------------------------------------------------


@pytest.fixture
def staff_user(db: None) -> User:
    return User.objects.create_superuser(email="staff-writer@example.com", password="x" * 16)


@pytest.fixture
def world(staff_user: User) -> World:
    customer = CustomerFactory()
    staff = Client()
    staff.force_login(staff_user)
    # Not a token or a session: either would run out when a row travels in time.
    api = APIClient()
    api.force_authenticate(customer.user)
    return World(customer=customer, api=api, staff=staff)


def _status(world: World) -> dict[str, Any]:
    if not world.bearer:
        # The login as a request loads it: the customer row as it is now.
        world.api.force_authenticate(User.objects.get(pk=world.customer.user_id))
    response = world.api.get("/api/me/status")
    if response.status_code != 200:
        return {"httpStatus": response.status_code}
    return response.json()


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.id)
def test_the_next_read_shows_the_write(world, write):
    world.subject = write.arrange(world)
    before = write.seen(_status(world))
    try:
        write.write(world)
        after = write.seen(_status(world))
    finally:
        if isinstance(world.subject, time_machine.travel):
            world.subject.stop()
    if write.shown:
        assert after != before, f"{write.id}: the snapshot still shows {before!r}"
    else:
        assert after == before


def _snapshot_models() -> set[type[models.Model]]:
    """The models whose tables the snapshot's statements read, for a customer with data."""
    customer = CustomerFactory()
    PaymentMethodFactory(customer=customer)
    with CaptureQueriesContext(connection) as captured:
        build_me_status(customer=customer, now=timezone.now(), remind=False)
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    tables = set(re.findall(r'(?:FROM|JOIN) "([a-z_0-9]+)"', sql))
    return {model for model in apps.get_models() if model._meta.db_table in tables}


def _admin_write_paths(model: type[models.Model], user: User) -> set[str]:
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return set()
    request = RequestFactory().get("/admin/")
    request.user = user
    paths = {f"admin-action:{name}" for name in model_admin.get_actions(request)}
    meta = model._meta
    standard = {
        f"{meta.app_label}_{meta.model_name}_{view}"
        for view in ("changelist", "add", "history", "delete", "change")
    }
    paths |= {
        f"admin:{url.name}"
        for url in model_admin.get_urls()
        if getattr(url, "name", None) and url.name not in standard
    }
    instance = model()
    editable = set(model_admin.get_fields(request, instance)) - set(
        model_admin.get_readonly_fields(request, instance)
    )
    if model_admin.has_change_permission(request, instance) and editable:
        paths.add("admin-form")
    if model_admin.has_add_permission(request):
        paths.add("admin-add")
    return paths - ADMIN_READS


def test_every_write_path_of_every_snapshot_model_is_here(staff_user):
    models_read = _snapshot_models()
    assert {Customer, Invoice, Order, Plan, Notification, PaymentMethod} <= models_read
    covered: dict[type[models.Model], set[str]] = {}
    for write in WRITES:
        covered.setdefault(write.model, set()).add(write.path)
    missing = {}
    for model in models_read:
        paths = covered.get(model, set())
        needed = _admin_write_paths(model, staff_user)
        needed.add("delete" if "delete" in paths else "update")
        if model not in NO_SERVICE and not paths & {"api", "service"}:
            needed.add("api or service")
        if needed - paths:
            missing[model.__name__] = sorted(needed - paths)
    assert not missing, f"write paths with no row in WRITES: {missing}"
