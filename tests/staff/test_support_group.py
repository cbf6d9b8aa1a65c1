"""What the support group can reach in the admin: every model's list, add, change and delete.

Every model registered in the admin must have a row in REACH, so a new model is a decision,
not an accident.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing.models import BillingRun, UnbilledCharge
from crm.models import CrmEvent
from notifications.models import Announcement, Device, NotificationEmail, PushDelivery
from outbox.models import OutboxMessage
from staff.models import StaffAction
from staff.services import SUPPORT_GROUP, record_staff_action, sync_support_group
from support.models import CannedReply
from support.services import create_support_request
from tests.factories import (
    CancellationRequestFactory,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

# model label: (sees the list and the rows, may add, may post a row's change form)
# Nobody in support deletes anything.
REACH: dict[str, tuple[bool, bool, bool]] = {
    "accounts.user": (False, False, False),
    "auth.group": (False, False, False),
    "accounts.customer": (True, False, False),
    "accounts.interneteligibility": (True, False, False),
    "accounts.residencecardverification": (True, False, False),
    "crm.crmevent": (True, False, False),
    "orders.order": (True, False, False),
    "subscriptions.plan": (True, False, False),
    "subscriptions.subscription": (True, False, False),
    "subscriptions.cancellationrequest": (True, False, False),
    "billing.invoice": (True, False, False),
    "billing.paymentmethod": (True, False, False),
    "billing.billingrun": (True, False, False),
    "billing.unbilledcharge": (True, False, False),
    "notifications.notification": (True, False, False),
    "notifications.announcement": (True, True, True),
    "notifications.notificationemail": (True, False, False),
    "notifications.device": (True, False, False),
    "notifications.pushdelivery": (True, False, False),
    "outbox.outboxmessage": (False, False, False),
    "staff.staffaction": (True, False, False),
    "support.supportrequest": (True, False, False),
    "support.cannedreply": (True, True, True),
}


def _one_of_each() -> dict[str, models.Model]:
    """A row of every registered model, so each change and delete URL has something to open."""
    now = timezone.now()
    customer = CustomerFactory()
    cancellation = CancellationRequestFactory(subscription__customer=customer, customer=customer)
    order = OrderFactory(customer=customer)
    rows: dict[str, models.Model] = {
        "accounts.user": customer.user,
        "auth.group": Group.objects.get(name=SUPPORT_GROUP),
        "accounts.customer": customer,
        "accounts.interneteligibility": customer.internet_eligibility,
        "accounts.residencecardverification": customer.residence_card_verification,
        "orders.order": order,
        "subscriptions.plan": order.plan,
        "subscriptions.subscription": cancellation.subscription,
        "subscriptions.cancellationrequest": cancellation,
        "billing.invoice": InvoiceFactory(customer=customer),
        "billing.paymentmethod": PaymentMethodFactory(customer=customer),
        "billing.billingrun": BillingRun.objects.create(
            period_start=date(2026, 11, 1), started_at=now
        ),
        "billing.unbilledcharge": UnbilledCharge.objects.create(
            customer=customer,
            description="Initial fee",
            amount=3300,
            incurred_on=date(2026, 11, 5),
            source_type="order",
            source_id=str(order.pk),
            created_at=now,
        ),
        "notifications.notification": NotificationFactory(user=customer.user),
        "notifications.announcement": Announcement.objects.create(title="Hi", message="Hello"),
        "notifications.notificationemail": NotificationEmail.objects.create(
            key="test", user=customer.user, created_at=now
        ),
        "outbox.outboxmessage": OutboxMessage.objects.create(task_name="x", args=[]),
        "support.cannedreply": CannedReply.objects.create(
            title="Thanks", body_en="Thank you.", body_ja="ありがとうございます。"
        ),
        "support.supportrequest": create_support_request(
            customer=customer, topic="other", message="Help"
        ).support_request,
        "staff.staffaction": record_staff_action(
            actor=StaffUserFactory(),
            action="order_approved",
            customer=customer,
            subject=order,
            now=now,
        ),
    }
    device = Device.objects.create(
        user=customer.user, platform="ios", token="device-token", created_at=now, last_seen_at=now
    )
    rows["notifications.device"] = device
    rows["notifications.pushdelivery"] = PushDelivery.objects.create(
        key="push-test", device=device, user=customer.user, created_at=now
    )
    rows["crm.crmevent"] = CrmEvent.objects.create(
        event_id="evt-1",
        type="AccountChanged",
        account_id="001X",
        occurred_at=now - timedelta(minutes=1),
        payload={},
        raw_body="{}",
        received_at=now,
    )
    return rows


def _url(model: type[models.Model], name: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def test_every_admin_model_has_a_decided_reach() -> None:
    labels = {model._meta.label_lower for model in admin.site._registry}
    assert labels - REACH.keys() == set()


def test_support_reaches_exactly_what_the_table_says(support: Client) -> None:
    rows = _one_of_each()
    for model in admin.site._registry:
        label = model._meta.label_lower
        sees, adds, changes = REACH[label]
        row = rows.get(label) or model._default_manager.first()
        assert row is not None, f"no {label} row to try"
        found = {
            "list": support.get(_url(model, "changelist")).status_code,
            "add": support.get(_url(model, "add")).status_code,
            "view": support.get(_url(model, "change", row.pk)).status_code,
            "post": support.post(_url(model, "change", row.pk), {}).status_code,
            "delete page": support.get(_url(model, "delete", row.pk)).status_code,
            "delete": support.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code,
        }
        expected = {
            "list": 200 if sees else 403,
            "add": 200 if adds else 403,
            "view": 200 if sees else 403,
            "post": 200 if changes else 403,
            "delete page": 403,
            "delete": 403,
        }
        assert found == expected, label
        assert model._default_manager.filter(pk=row.pk).exists(), label


def test_support_is_staff_but_not_a_superuser(support_user: User) -> None:
    assert support_user.is_staff and not support_user.is_superuser
    assert list(support_user.groups.values_list("name", flat=True)) == [SUPPORT_GROUP]


def test_support_cannot_grant_itself_permissions(support: Client, support_user: User) -> None:
    response = support.post(
        _url(User, "change", support_user.pk), {"email": support_user.email, "is_superuser": "on"}
    )
    assert response.status_code == 403
    support_user.refresh_from_db()
    assert not support_user.is_superuser


def test_the_group_is_brought_back_to_its_list() -> None:
    group = sync_support_group()
    before = set(group.permissions.values_list("codename", flat=True))
    assert "view_order" in before and "delete_order" not in before
    group.permissions.add(Permission.objects.get(codename="delete_order"))
    sync_support_group()
    assert set(group.permissions.values_list("codename", flat=True)) == before


@pytest.mark.parametrize(
    "model", [StaffAction, "notifications.notification", "billing.invoice", "orders.order"]
)
def test_not_even_a_superuser_adds_or_deletes_service_owned_rows(
    client: Client, model: Any
) -> None:
    from django.apps import apps

    model = apps.get_model(model) if isinstance(model, str) else model
    rows = _one_of_each()
    row = rows[model._meta.label_lower]
    client.force_login(StaffUserFactory())
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "change", row.pk), {}).status_code == 403
    assert client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()
