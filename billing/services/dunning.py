"""Dunning: a warning 3 days before, then the services of a customer with an invoice unpaid
SUSPEND_AFTER_DAYS after its due date are suspended; paying every overdue invoice, by any
path, restores them (`settle_paid_invoice`, called where every path marks an invoice paid)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef

from billing.models import ChargeAttempt, Invoice, InvoiceStatus, overdue_condition
from billing.selectors import suspends_on
from notifications.catalog import Money
from notifications.models import Notification
from notifications.services.notify import notify, retire_notifications
from outbox.services import enqueue_on_commit
from portal.dates import tokyo_today
from subscriptions.models import Subscription, Suspension, SuspensionReason
from subscriptions.services.suspensions import SUSPENDABLE, lift_suspension, suspend_subscription

WARNING_DAYS_BEFORE = 3
# Days after the due date of each automatic charge: the first on the day, then the retries
# (billing.services.collection).
ATTEMPT_DAYS = (0, 3, 7)


def _warning_source(invoice: Invoice) -> str:
    return f"{invoice.pk}:{suspends_on(due_date=invoice.due_date).isoformat()}"


def suspend_overdue(*, now: datetime) -> int:
    """Warn, suspend, and restore whoever has paid (the backstop of the restore made on
    payment). Returns how many warnings, suspensions and restores it made; a second run for
    the same moment makes none."""
    today = tokyo_today(now=now)
    after = timedelta(days=settings.SUSPEND_AFTER_DAYS)
    running = Subscription.objects.filter(customer=OuterRef("customer"), status__in=SUSPENDABLE)
    unpaid = Invoice.objects.filter(status=InvoiceStatus.UNPAID).filter(Exists(running))
    done = 0
    warn_from = today - after + timedelta(days=WARNING_DAYS_BEFORE)
    warnable = unpaid.filter(due_date__lte=warn_from, due_date__gt=today - after)
    for invoice in warnable.select_related("customer__user"):
        done += _warn(invoice, now=now)
    overdue = unpaid.filter(due_date__lte=today - after).order_by("due_date", "pk")
    oldest: dict[int, Invoice] = {}
    for invoice in overdue:
        oldest.setdefault(invoice.customer_id, invoice)
    not_suspended = Suspension.objects.filter(
        subscription=OuterRef("pk"), reason=SuspensionReason.NON_PAYMENT, ended_at__isnull=True
    )
    for subscription_id, customer_id in (
        Subscription.objects.filter(customer_id__in=oldest, status__in=SUSPENDABLE)
        .exclude(Exists(not_suspended))
        .values_list("pk", "customer_id")
    ):
        suspension = suspend_subscription(
            subscription_id=subscription_id,
            reason=SuspensionReason.NON_PAYMENT,
            source=f"invoice:{oldest[customer_id].pk}",
            now=now,
        )
        done += suspension is not None
    for customer_id in (
        Subscription.objects.filter(
            suspensions__reason=SuspensionReason.NON_PAYMENT, suspensions__ended_at__isnull=True
        )
        .values_list("customer_id", flat=True)
        .distinct()
    ):
        done += restore_if_settled(customer_id=customer_id, now=now)
    return done


def _warn(invoice: Invoice, *, now: datetime) -> int:
    source = _warning_source(invoice)
    user = invoice.customer.user
    # Once per invoice and suspension date, however many days the window spans.
    if Notification.objects.filter(user=user, type="SUSPENSION_WARNING", source_id=source).exists():
        return 0
    created = notify(
        user=user,
        type="SUSPENSION_WARNING",
        source_id=source,
        context={
            "invoice_number": invoice.number,
            "invoice_id": invoice.pk,
            "amount": Money(invoice.total, invoice.currency),
            "suspends_on": suspends_on(due_date=invoice.due_date),
        },
        now=now,
    )
    return int(created is not None)


def restore_if_settled(*, customer_id: int, now: datetime) -> int:
    """Lift the customer's non-payment suspensions if no invoice is overdue any more.
    Returns how many services came back."""
    today = tokyo_today(now=now)
    overdue = Invoice.objects.filter(customer_id=customer_id).filter(overdue_condition(today=today))
    if overdue.exists():
        return 0
    restored = 0
    for subscription_id in Subscription.objects.filter(
        customer_id=customer_id,
        suspensions__reason=SuspensionReason.NON_PAYMENT,
        suspensions__ended_at__isnull=True,
    ).values_list("pk", flat=True):
        lifted = lift_suspension(
            subscription_id=subscription_id, reason=SuspensionReason.NON_PAYMENT, now=now
        )
        restored += lifted is not None
    return restored


def settle_paid_invoice(*, invoice: Invoice, now: datetime) -> None:
    """In the transaction that marks `invoice` paid, whatever the path: retries stop, its
    dunning notices are retired, and the restore runs once it commits."""
    ChargeAttempt.objects.filter(invoice=invoice, attempted_at__isnull=True).delete()
    user_id = invoice.customer.user_id
    for number in range(1, len(ATTEMPT_DAYS) + 1):
        retire_notifications(
            user_id=user_id, type="PAYMENT_FAILED", source_id=f"{invoice.pk}:{number}", now=now
        )
    retire_notifications(
        user_id=user_id, type="SUSPENSION_WARNING", source_id=_warning_source(invoice), now=now
    )
    if Suspension.objects.filter(
        subscription__customer_id=invoice.customer_id,
        reason=SuspensionReason.NON_PAYMENT,
        ended_at__isnull=True,
    ).exists():
        # The task module imports the payment services, which import this one.
        from billing import tasks

        enqueue_on_commit(tasks.restore_services_task, invoice.customer_id)
