"""The dashboard read model: one snapshot of a customer at one instant (DESIGN.md section 5).

`build_me_status` decides everything a client shows (tasks, their order, copy and links);
`GET /api/me/status` serializes it and the `/account/` page renders it, so they never
disagree. It is built from the database on every read, in a few statements
(`selectors.read_facts` and the billing provider's count): nothing is cached, so every
committed write, from any path, and the passing of time are in the very next read.

The parts live beside this module: the shape in `snapshot`, the task rules in `rules`, the
recent activity in `activity`. Copy is written in the customer's language.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from django.utils.translation import override

from accounts.models import Customer
from billing.models import Invoice
from billing.providers import count_payment_methods_or_none
from billing.services.reminders import invoice_reminder_horizon, notify_invoice_due
from dashboard import rules, selectors
from dashboard.activity import RECENT_ACTIVITY_LIMIT, recent_activity
from dashboard.snapshot import MeStatus, NextInvoice, PaymentMethods, Stats, Summary
from notifications.selectors import count_unread_notifications
from portal.dates import tokyo_today
from portal.links import page_path


def build_me_status(*, customer: Customer, now: datetime, remind: bool = True) -> MeStatus:
    """The object of `GET /api/me/status`: summary, identity gates, payment methods, tasks.

    `remind=False` reads without creating the customer's invoice reminder (support's view).
    """
    with override(customer.language):
        today = tokyo_today(now=now)
        facts = _read_facts(customer=customer, now=now, today=today, remind=remind)
        payment_method_count = count_payment_methods_or_none(customer=customer)
        task_facts = rules.TaskFacts(
            facts=facts,
            today=today,
            due_soon_until=invoice_reminder_horizon(now=now),
            payment_method_count=payment_method_count,
        )
        return MeStatus(
            summary=_summary(facts, today=today),
            internet_eligibility=facts.eligibility,
            residence_card_verification=facts.verification,
            payment_methods=PaymentMethods(total_count=payment_method_count),
            tasks=rules.tasks(task_facts),
        )


def build_summary(*, customer: Customer, now: datetime, remind: bool = True) -> Summary:
    """The object of `GET /api/me/summary`: without the provider's count and the tasks."""
    with override(customer.language):
        today = tokyo_today(now=now)
        facts = _read_facts(customer=customer, now=now, today=today, remind=remind)
        return _summary(facts, today=today)


def _read_facts(*, customer: Customer, now: datetime, today: date, remind: bool) -> selectors.Facts:
    facts = selectors.read_facts(
        customer=customer, now=now, today=today, limit=RECENT_ACTIVITY_LIMIT
    )
    if remind and _remind_earliest_due_invoice(customer=customer, facts=facts, now=now):
        # The new reminder belongs in the count the customer sees with it.
        facts = _with_unread_count(facts, count_unread_notifications(user=customer.user, now=now))
    return facts


def _remind_earliest_due_invoice(
    *, customer: Customer, facts: selectors.Facts, now: datetime
) -> bool:
    """INVOICE_DUE for the earliest unpaid invoice due within 7 days or overdue.

    The facts already say whether that reminder exists, so the common case costs no
    statement; notify() itself serialises concurrent readers. True when notify() ran.
    """
    horizon = invoice_reminder_horizon(now=now)
    due = next((invoice for invoice in facts.unpaid_invoices if invoice.due_date <= horizon), None)
    if due is None or due.reminded:
        return False
    invoice = Invoice(
        id=due.id,
        customer=customer,
        number=due.number,
        due_date=due.due_date,
        total=due.total,
        currency=due.currency,
    )
    notify_invoice_due(user=customer.user, invoice=invoice, now=now)
    return True


def _with_unread_count(facts: selectors.Facts, count: int) -> selectors.Facts:
    return replace(facts, unread_notifications=count)


def _summary(facts: selectors.Facts, *, today: date) -> Summary:
    unpaid = facts.unpaid_invoices
    stats = Stats(
        active_subscriptions=facts.running_subscriptions,
        unpaid_invoices=len(unpaid),
        overdue_invoices=sum(1 for invoice in unpaid if invoice.overdue),
        orders_in_progress=len(facts.open_orders),
        unread_notifications=facts.unread_notifications,
    )
    return Summary(
        stats=stats,
        next_invoice=_next_invoice(facts, today=today),
        recent_activity=recent_activity(facts),
    )


def _next_invoice(facts: selectors.Facts, *, today: date) -> NextInvoice | None:
    if not facts.unpaid_invoices:
        return None
    invoice = facts.unpaid_invoices[0]
    return NextInvoice(
        id=invoice.id,
        number=invoice.number,
        due_date=invoice.due_date,
        days_until_due=(invoice.due_date - today).days,
        total=invoice.total,
        currency=invoice.currency,
        status="unpaid",
        overdue=invoice.overdue,
        href=page_path("billing-invoice", invoice.id),
    )
