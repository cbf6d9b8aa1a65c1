"""Writes for support staff: the action log and the support group's permissions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction

from staff.models import StaffAction, StaffActionType

if TYPE_CHECKING:
    # The log sits below every app that writes to it: their models are only annotations here.
    from accounts.models import Customer, User

SUPPORT_GROUP = "support"

# What the support group may do, per model ("app_label.model": actions). "change" on a
# service-owned model opens its buttons and list actions; its page stays read-only.
# Models not installed (yet) are skipped, so the list can name them ahead of time.
SUPPORT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "accounts.customer": ("view", "change"),
    "accounts.interneteligibility": ("view", "change"),
    "accounts.residencecardverification": ("view", "change"),
    "crm.crmevent": ("view", "change"),
    "orders.order": ("view", "change"),
    "subscriptions.plan": ("view",),
    "subscriptions.subscription": ("view",),
    "subscriptions.cancellationrequest": ("view", "change"),
    # Shown read-only on the subscription's page (an inline, not a page of its own).
    "subscriptions.suspension": ("view",),
    "billing.invoice": ("view", "change"),
    "billing.invoiceline": ("view",),
    "billing.paymentmethod": ("view", "change"),
    "billing.billingrun": ("view",),
    "billing.unbilledcharge": ("view",),
    "notifications.notification": ("view",),
    "notifications.announcement": ("view", "add", "change"),
    "notifications.notificationemail": ("view",),
    "notifications.device": ("view",),
    "notifications.pushdelivery": ("view",),
    "support.supportrequest": ("view", "change"),
    # The thread on the request's page (an inline; replies go through the reply form).
    "support.supportmessage": ("view",),
    # Staff write and edit the canned replies they pick from.
    "support.cannedreply": ("view", "add", "change"),
    "staff.staffaction": ("view",),
}


def record_staff_action(
    *,
    actor: User,
    action: StaffActionType | str,
    customer: Customer | None,
    subject: models.Model,
    subject_label: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    now: datetime,
) -> StaffAction:
    """Log one staff action; call it inside the transaction of the change it describes."""
    return StaffAction.objects.create(
        actor=actor,
        action=action,
        customer=customer,
        subject_type=subject._meta.model_name or "",
        subject_id=str(subject.pk),
        subject_label=(subject_label or str(subject))[:200],
        reason=reason,
        details=details or {},
        created_at=now,
    )


def _support_permission_ids(using: str) -> list[int]:
    wanted: list[tuple[str, str]] = []
    for label, actions in SUPPORT_PERMISSIONS.items():
        app_label, model_name = label.split(".")
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            continue
        wanted += [(app_label, f"{action}_{model_name}") for action in actions]
    ids: list[int] = []
    for app_label, codename in wanted:
        ids += (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .values_list("pk", flat=True)
        )
    return ids


@transaction.atomic
def sync_support_group(*, using: str = "default") -> Group:
    """Create the "support" group or bring its permissions back to exactly the list above."""
    group, _ = Group.objects.using(using).get_or_create(name=SUPPORT_GROUP)
    group.permissions.set(_support_permission_ids(using))
    return group


def make_support_member(*, user: User) -> User:
    """Staff access through the support group: never a superuser."""
    user.is_staff = True
    user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.add(sync_support_group())
    return user
