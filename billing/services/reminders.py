"""The billing reminders, run daily by beat: INVOICE_DUE for unpaid invoices due soon or
overdue, PAYMENT_METHOD_EXPIRING for cards about to expire with nothing to replace them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Invoice, InvoiceStatus, PaymentMethod, PaymentMethodType
from notifications import catalog, selectors
from notifications.models import Notification
from notifications.services.notify import notify
from portal.dates import tokyo_today

# An unpaid invoice gets a reminder (and a dashboard task) from this many days before its
# due date, and every day after it while it stays unpaid.
INVOICE_DUE_SOON_DAYS = 7


def invoice_reminder_horizon(*, now: datetime) -> date:
    """The last due date (Asia/Tokyo) that already counts as "due soon"."""
    return tokyo_today(now=now) + timedelta(days=INVOICE_DUE_SOON_DAYS)


def notify_invoice_due(
    *, user: User, invoice: Invoice, now: datetime | None = None
) -> Notification | None:
    return notify(
        user=user,
        type="INVOICE_DUE",
        source_id=invoice.pk,
        context={
            "invoice_number": invoice.number,
            "amount": catalog.Money(invoice.total, invoice.currency),
            "due_date": invoice.due_date,
            "invoice_id": invoice.pk,
        },
        now=now,
    )


def _already_notified(type: str, *, user_ref: str, now: datetime) -> Exists:
    return selectors.recent_notification_exists(
        user_id=OuterRef(user_ref),
        type=type,
        source_id=Cast(OuterRef("pk"), output_field=CharField()),
        now=now,
    )


def send_invoice_due_reminders(*, now: datetime | None = None) -> int:
    """INVOICE_DUE for every unpaid invoice due within 7 days or overdue; returns how many.

    Invoices that already had their reminder inside the window are filtered out in the
    same query, so a second run the same day costs one statement.
    """
    now = now or timezone.now()
    invoices = (
        Invoice.objects.filter(
            status=InvoiceStatus.UNPAID,
            due_date__lte=invoice_reminder_horizon(now=now),
            customer__user__is_active=True,
        )
        .exclude(_already_notified("INVOICE_DUE", user_ref="customer__user_id", now=now))
        .select_related("customer__user")
        .order_by("pk")
    )
    created = 0
    for invoice in invoices.iterator(chunk_size=500):
        if notify_invoice_due(user=invoice.customer.user, invoice=invoice, now=now):
            created += 1
    return created


def send_payment_method_expiring_reminders(*, now: datetime | None = None) -> int:
    """PAYMENT_METHOD_EXPIRING for cards that expire at the end of this month or next.

    A customer who already has another way to pay that outlives those months (a newer card
    or a bank account) is not reminded: there is nothing for them to do.
    """
    now = now or timezone.now()
    today = tokyo_today(now=now)
    lasting_alternative = PaymentMethod.objects.filter(customer=OuterRef("customer")).lasting(
        today=today
    )
    cards = (
        PaymentMethod.objects.expiring_soon(today=today)
        .filter(type=PaymentMethodType.CARD, customer__user__is_active=True)
        .exclude(Exists(lasting_alternative))
        .exclude(
            _already_notified("PAYMENT_METHOD_EXPIRING", user_ref="customer__user_id", now=now)
        )
        .select_related("customer__user")
        .order_by("pk")
    )
    created = 0
    for card in cards.iterator(chunk_size=500):
        notification = notify(
            user=card.customer.user,
            type="PAYMENT_METHOD_EXPIRING",
            source_id=card.pk,
            context={
                "brand": card.brand or _("card"),
                "last4": card.last4,
                "expiry": f"{card.exp_month:02d}/{card.exp_year}",
            },
            now=now,
        )
        if notification:
            created += 1
    return created
