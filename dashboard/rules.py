"""The dashboard's tasks: one rule per row of the table in DESIGN.md section 5, in its order.

Each rule reads the snapshot's facts and returns its tasks, each with the moment it sorts
by among tasks of the same priority (a due date, a placement time; none for the rules that
give at most one task). `tasks()` runs every rule and sorts by priority, then that moment.
Copy is written in the active language (the customer's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import RENEWAL_NOTICE_DAYS, EligibilityStatus, VerificationStatus
from dashboard.selectors import Facts, UnpaidInvoice
from dashboard.snapshot import Task
from orders.models import OrderStatus
from portal.dates import start_of_day
from portal.formats import format_day, format_money
from portal.links import page_path
from subscriptions.models import Plan

# The moment of a task that has no date of its own.
UNDATED = 0.0


@dataclass(frozen=True)
class TaskFacts:
    """What the rules read: the snapshot's facts, the day, and the provider's answer."""

    facts: Facts
    today: date
    # The last due date that counts as "due soon" (today + 7 days).
    due_soon_until: date
    # None when the billing provider failed or timed out.
    payment_method_count: int | None

    @property
    def never_ordered(self) -> bool:
        return not self.facts.has_ordered and self.facts.subscription_total == 0

    @property
    def eligibility_requested(self) -> bool:
        return self.facts.eligibility.status != EligibilityStatus.NOT_REQUESTED


Ranked = tuple[Task, float]


def _invoice_task(
    invoice: UnpaidInvoice, *, priority: int, tone: str, title: str, description: str
) -> Ranked:
    task = Task(
        id=f"invoice_due:{invoice.id}",
        type="invoice_due",
        priority=priority,
        tone=tone,
        title=title,
        description=description,
        action_label=_("View invoice"),
        href=page_path("billing-invoice", invoice.id),
        due_date=invoice.due_date,
    )
    return task, start_of_day(invoice.due_date).timestamp()


def _invoice_values(invoice: UnpaidInvoice) -> dict[str, str]:
    return {
        "number": invoice.number,
        "amount": format_money(invoice.total, invoice.currency),
        "date": format_day(invoice.due_date),
    }


# --- The table, row by row -----------------------------------------------------------------


def overdue_invoice(given: TaskFacts) -> list[Ranked]:
    """`invoice_due`, 10, critical: an unpaid invoice is overdue (one task each)."""
    ranked = []
    for invoice in given.facts.unpaid_invoices:
        if not invoice.overdue:
            continue
        values = _invoice_values(invoice)
        ranked.append(
            _invoice_task(
                invoice,
                priority=10,
                tone="critical",
                title=_("Invoice %(number)s is overdue") % values,
                description=_("%(amount)s was due on %(date)s.") % values,
            )
        )
    return ranked


def idv_rejected(given: TaskFacts) -> list[Ranked]:
    """`idv_rejected`, 20, critical: residence card verification is `rejected`."""
    verification = given.facts.verification
    if verification.status != VerificationStatus.REJECTED:
        return []
    task = Task(
        id="idv_rejected",
        type="idv_rejected",
        priority=20,
        tone="critical",
        title=_("Upload your residence card again"),
        description=verification.rejection_reason
        or _("We could not verify your residence card. Please upload clear photos of both sides."),
        action_label=_("Upload again"),
        href=page_path("account-verification"),
    )
    return [(task, UNDATED)]


def residence_card_expiring(given: TaskFacts) -> list[Ranked]:
    """`residence_card_expiring` (API.md "Additions"): 15, critical from the card's expiry
    date on (that day included); 35, warning in the 60 days before it. Only a verified card
    has an expiry date; a renewed card sent for review replaces it."""
    verification = given.facts.verification
    expires_on = verification.card_expires_on
    if verification.status != VerificationStatus.VERIFIED or expires_on is None:
        return []
    if expires_on > given.today + timedelta(days=RENEWAL_NOTICE_DAYS):
        return []
    values = {"expires_on": format_day(expires_on)}
    if expires_on <= given.today:
        priority, tone = 15, "critical"
        title = _("Your residence card expired on %(expires_on)s") % values
        description = _(
            "Please upload your renewed residence card so that your service can continue."
        )
    else:
        priority, tone = 35, "warning"
        title = _("Your residence card expires on %(expires_on)s") % values
        description = _(
            "Your service depends on a valid residence card. Once you have renewed it, "
            "please upload the new card."
        )
    task = Task(
        id="residence_card_expiring",
        type="residence_card_expiring",
        priority=priority,
        tone=tone,
        title=title,
        description=description,
        action_label=_("Upload new card"),
        href=page_path("account-verification"),
        due_date=expires_on,
    )
    return [(task, start_of_day(expires_on).timestamp())]


def invoice_due_soon(given: TaskFacts) -> list[Ranked]:
    """`invoice_due`, 30, warning: an unpaid invoice is due today or within the next 7 days."""
    ranked = []
    for invoice in given.facts.unpaid_invoices:
        if invoice.overdue or invoice.due_date > given.due_soon_until:
            continue
        values = _invoice_values(invoice)
        days = (invoice.due_date - given.today).days
        if days == 0:
            title = _("Invoice %(number)s is due today") % values
        elif days == 1:
            title = _("Invoice %(number)s is due tomorrow") % values
        else:
            title = ngettext(
                "Invoice %(number)s is due in %(days)d day",
                "Invoice %(number)s is due in %(days)d days",
                days,
            ) % {**values, "days": days}
        ranked.append(
            _invoice_task(
                invoice,
                priority=30,
                tone="warning",
                title=title,
                description=_("%(amount)s, due on %(date)s.") % values,
            )
        )
    return ranked


def add_payment_method(given: TaskFacts) -> list[Ranked]:
    """`add_payment_method`, 40, warning: the provider says 0 payment methods (not None).

    A brand-new customer sees one task (onboarding); we ask for a way to pay once they have
    started: checked an address, sent a residence card, ordered or have a service.
    """
    started = (
        given.eligibility_requested
        or given.facts.verification.status != VerificationStatus.NOT_SUBMITTED
        or not given.never_ordered
    )
    if given.payment_method_count != 0 or not started:
        return []
    task = Task(
        id="add_payment_method",
        type="add_payment_method",
        priority=40,
        tone="warning",
        title=_("Add a payment method"),
        description=_("Add a card or a bank account so your monthly invoices can be paid."),
        action_label=_("Add payment method"),
        href=page_path("billing-payment-methods"),
    )
    return [(task, UNDATED)]


def order_in_progress(given: TaskFacts) -> list[Ranked]:
    """`order_in_progress`, 50, info: an order is pending review, approved or provisioning."""
    descriptions = {
        OrderStatus.PENDING_REVIEW: _("We are reviewing your order for %(plan)s."),
        OrderStatus.APPROVED: _("Your order for %(plan)s is approved and will be set up soon."),
        OrderStatus.PROVISIONING: _("We are setting up %(plan)s for you."),
    }
    ranked = []
    for order in given.facts.open_orders:
        plan = Plan(name=order.plan_name, name_ja=order.plan_name_ja).display_name
        task = Task(
            id=f"order_in_progress:{order.id}",
            type="order_in_progress",
            priority=50,
            tone="info",
            title=_("Order %(number)s is in progress") % {"number": order.number},
            description=descriptions[OrderStatus(order.status)] % {"plan": plan},
            action_label=_("View order"),
            href=page_path("order-detail", order.id),
        )
        ranked.append((task, order.placed_at.timestamp()))
    return ranked


def eligibility_pending(given: TaskFacts) -> list[Ranked]:
    """`eligibility_pending`, 60, info: internet eligibility is `pending`."""
    eligibility = given.facts.eligibility
    if eligibility.status != EligibilityStatus.PENDING:
        return []
    if eligibility.address:
        description = _(
            "We are checking whether our internet service reaches %(address)s. "
            "We will let you know."
        ) % {"address": eligibility.address}
    else:
        description = _(
            "We are checking whether our internet service reaches your address. "
            "We will let you know."
        )
    task = Task(
        id="eligibility_pending",
        type="eligibility_pending",
        priority=60,
        tone="info",
        title=_("We are checking your address"),
        description=description,
        action_label=_("View status"),
        href=page_path("account-eligibility"),
    )
    return [(task, UNDATED)]


def onboarding(given: TaskFacts) -> list[Ranked]:
    """`onboarding`, 90, neutral: never ordered and no subscription.

    To the eligibility check if it was never requested, else to the order form.
    """
    if not given.never_ordered:
        return []
    if given.eligibility_requested:
        task = Task(
            id="onboarding",
            type="onboarding",
            priority=90,
            tone="neutral",
            title=_("Choose your first plan"),
            description=_("Pick an internet or a SIM plan to get started."),
            action_label=_("Browse plans"),
            href=page_path("order-new"),
        )
    else:
        task = Task(
            id="onboarding",
            type="onboarding",
            priority=90,
            tone="neutral",
            title=_("Get started: check your address"),
            description=_(
                "See whether our fiber internet reaches your home. You can also order a SIM."
            ),
            action_label=_("Check availability"),
            href=page_path("account-eligibility"),
        )
    return [(task, UNDATED)]


RULES: tuple[Callable[[TaskFacts], list[Ranked]], ...] = (
    overdue_invoice,
    idv_rejected,
    residence_card_expiring,
    invoice_due_soon,
    add_payment_method,
    order_in_progress,
    eligibility_pending,
    onboarding,
)


def tasks(given: TaskFacts) -> tuple[Task, ...]:
    """Every rule's tasks, by priority, then due date or placement time (oldest first)."""
    ranked = [pair for rule in RULES for pair in rule(given)]
    ranked.sort(key=lambda pair: (pair[0].priority, pair[1], pair[0].id))
    return tuple(task for task, _moment in ranked)
