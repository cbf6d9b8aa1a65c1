"""The dashboard read model: one snapshot of a customer at one instant (DESIGN.md section 5).

`build_me_status` decides everything a client shows (tasks, their order, copy and links);
`GET /api/me/status` serializes it and the `/account/` page renders it, so they never
disagree. Copy is written in the customer's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    VerificationStatus,
)
from billing.models import Invoice
from billing.providers import count_payment_methods_or_none
from dashboard import selectors
from dashboard.cache import cached_snapshot
from notifications.selectors import count_unread_notifications
from notifications.services import invoice_reminder_horizon, notify_invoice_due
from orders.models import Order, OrderStatus
from portal.formats import format_money

RECENT_ACTIVITY_LIMIT = 10


# --- The snapshot's shape (API.md "The dashboard"), as plain data ---------------------------


@dataclass(frozen=True)
class Stats:
    active_subscriptions: int
    unpaid_invoices: int
    overdue_invoices: int
    orders_in_progress: int
    unread_notifications: int


@dataclass(frozen=True)
class NextInvoice:
    id: int
    number: str
    due_date: date
    days_until_due: int
    total: Decimal
    currency: str
    status: str
    overdue: bool
    href: str

    @property
    def total_display(self) -> str:
        return format_money(self.total, self.currency)


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    title: str
    occurred_at: datetime
    href: str


@dataclass(frozen=True)
class Summary:
    stats: Stats
    next_invoice: NextInvoice | None
    recent_activity: tuple[Activity, ...]


_TONE_BY_ELIGIBILITY = {
    EligibilityStatus.NOT_REQUESTED: "neutral",
    EligibilityStatus.PENDING: "info",
    EligibilityStatus.ELIGIBLE: "success",
    EligibilityStatus.INELIGIBLE: "critical",
}
_TONE_BY_VERIFICATION = {
    VerificationStatus.NOT_SUBMITTED: "neutral",
    VerificationStatus.PENDING: "info",
    VerificationStatus.VERIFIED: "success",
    VerificationStatus.REJECTED: "critical",
}


@dataclass(frozen=True)
class EligibilityState:
    status: str
    requested_at: datetime | None
    checked_at: datetime | None
    address: str | None
    notes: str | None

    @property
    def status_label(self) -> str | Promise:
        return EligibilityStatus(self.status).label

    @property
    def tone(self) -> str:
        return _TONE_BY_ELIGIBILITY[EligibilityStatus(self.status)]


@dataclass(frozen=True)
class VerificationState:
    status: str
    submitted_at: datetime | None
    reviewed_at: datetime | None
    rejection_reason: str | None
    card_expires_on: date | None

    @property
    def status_label(self) -> str | Promise:
        return VerificationStatus(self.status).label

    @property
    def tone(self) -> str:
        return _TONE_BY_VERIFICATION[VerificationStatus(self.status)]


@dataclass(frozen=True)
class PaymentMethods:
    # None when the billing provider failed or timed out.
    total_count: int | None


@dataclass(frozen=True)
class Task:
    id: str
    type: str
    priority: int
    tone: str
    title: str
    description: str
    action_label: str
    href: str
    due_date: date | None = None


@dataclass(frozen=True)
class MeStatus:
    summary: Summary
    internet_eligibility: EligibilityState
    residence_card_verification: VerificationState
    payment_methods: PaymentMethods
    tasks: tuple[Task, ...]


# --- Building it --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What the summary and the tasks are both computed from, read once."""

    now: datetime
    today: date
    unpaid_invoices: list[Invoice]
    open_orders: list[Order]
    has_ordered: bool
    subscription_total: int
    summary: Summary


def get_me_status(*, customer: Customer, now: datetime) -> MeStatus:
    """The snapshot, served from the cache while nothing it shows has changed.

    Every service that changes a customer's dashboard calls `dashboard.cache.mark_stale`.
    A snapshot without the payment method count (provider down) is never kept.
    """
    return cached_snapshot(
        name="me-status",
        user_id=customer.user_id,
        variant=snapshot_variant(customer=customer, now=now),
        build=lambda: build_me_status(customer=customer, now=now),
        keep=lambda status: status.payment_methods.total_count is not None,
    )


def snapshot_variant(*, customer: Customer, now: datetime) -> tuple[str, str]:
    """What a cached snapshot depends on besides the data: the Tokyo day and the language."""
    return (timezone.localdate(now).isoformat(), customer.language)


def build_summary(*, customer: Customer, now: datetime) -> Summary:
    """The object of `GET /api/me/summary` (and `summary` in `GET /api/me/status`)."""
    with override(customer.language):
        return _read_facts(customer=customer, now=now).summary


def build_me_status(*, customer: Customer, now: datetime, remind: bool = True) -> MeStatus:
    """The object of `GET /api/me/status`: summary, identity gates, payment methods, tasks.

    `remind=False` only reads: support's view of a customer creates none of their reminders.
    """
    with override(customer.language):
        facts = _read_facts(customer=customer, now=now, remind=remind)
        eligibility, verification = selectors.get_identity_gates(customer=customer)
        payment_method_count = count_payment_methods_or_none(customer=customer)
        tasks = _tasks(
            facts=facts,
            eligibility=eligibility,
            verification=verification,
            payment_method_count=payment_method_count,
        )
        return MeStatus(
            summary=facts.summary,
            internet_eligibility=_eligibility_state(eligibility),
            residence_card_verification=_verification_state(verification),
            payment_methods=PaymentMethods(total_count=payment_method_count),
            tasks=tasks,
        )


def _read_facts(*, customer: Customer, now: datetime, remind: bool = True) -> _Facts:
    today = timezone.localdate(now)
    unpaid = selectors.list_unpaid_invoices(customer=customer, now=now)
    if remind:
        _remind_earliest_due_invoice(customer=customer, unpaid=unpaid, now=now)
    open_orders = selectors.list_open_orders(customer=customer)
    recent_orders = selectors.list_recently_changed_orders(
        customer=customer, limit=RECENT_ACTIVITY_LIMIT
    )
    subscriptions = selectors.count_subscriptions(customer=customer)
    stats = Stats(
        active_subscriptions=subscriptions.running,
        unpaid_invoices=len(unpaid),
        overdue_invoices=sum(1 for invoice in unpaid if invoice.due_date < today),
        orders_in_progress=len(open_orders),
        # Counted after the reminder above, so a new reminder is already in the number.
        unread_notifications=count_unread_notifications(user=customer.user, now=now),
    )
    summary = Summary(
        stats=stats,
        next_invoice=_next_invoice(unpaid, today=today),
        recent_activity=_recent_activity(
            customer=customer, recent_orders=recent_orders, today=today
        ),
    )
    return _Facts(
        now=now,
        today=today,
        unpaid_invoices=unpaid,
        open_orders=open_orders,
        has_ordered=bool(recent_orders),
        subscription_total=subscriptions.total,
        summary=summary,
    )


def _remind_earliest_due_invoice(
    *, customer: Customer, unpaid: list[Invoice], now: datetime
) -> None:
    """INVOICE_DUE for the earliest unpaid invoice due within 7 days or overdue.

    The invoice query already says whether the reminder exists (`reminded`), so the common
    case costs no statement at all; notify() itself serialises concurrent readers.
    """
    horizon = invoice_reminder_horizon(now=now)
    due = next((invoice for invoice in unpaid if invoice.due_date <= horizon), None)
    if due is not None and not getattr(due, "reminded", False):
        notify_invoice_due(user=customer.user, invoice=due, now=now)


def _invoice_href(invoice_id: int) -> str:
    return f"/account/billing/invoices/{invoice_id}"


def _order_href(order_id: int) -> str:
    return f"/account/orders/{order_id}"


def _next_invoice(unpaid: list[Invoice], *, today: date) -> NextInvoice | None:
    if not unpaid:
        return None
    invoice = unpaid[0]
    return NextInvoice(
        id=invoice.pk,
        number=invoice.number,
        due_date=invoice.due_date,
        days_until_due=(invoice.due_date - today).days,
        total=invoice.total,
        currency=invoice.currency,
        status=invoice.status,
        overdue=invoice.due_date < today,
        href=_invoice_href(invoice.pk),
    )


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# Within one instant, the later step of the same thing comes first (paid above issued).
_EVENT_RANK = {
    "invoice_issued": 0,
    "invoice_paid": 1,
    "order_placed": 0,
    "order_activated": 1,
    "order_failed": 1,
    "cancellation_requested": 0,
}


def _recent_activity(
    *, customer: Customer, recent_orders: list[Order], today: date
) -> tuple[Activity, ...]:
    """The newest events from invoices, orders and cancellations, newest first."""
    events: list[tuple[Activity, int]] = []

    def add(type: str, pk: int, title: str, occurred_at: datetime, href: str) -> None:
        events.append((Activity(f"{type}:{pk}", type, title, occurred_at, href), pk))

    for invoice in selectors.list_recently_issued_invoices(
        customer=customer, today=today, limit=RECENT_ACTIVITY_LIMIT
    ):
        add(
            "invoice_issued",
            invoice.pk,
            _("Invoice %(number)s issued") % {"number": invoice.number},
            _start_of_day(invoice.issued_on),
            _invoice_href(invoice.pk),
        )
    for invoice in selectors.list_recently_paid_invoices(
        customer=customer, limit=RECENT_ACTIVITY_LIMIT
    ):
        assert invoice.paid_at is not None
        add(
            "invoice_paid",
            invoice.pk,
            _("Invoice %(number)s paid") % {"number": invoice.number},
            invoice.paid_at,
            _invoice_href(invoice.pk),
        )
    for order in recent_orders:
        number = {"number": order.number}
        add(
            "order_placed",
            order.pk,
            _("Order %(number)s placed") % number,
            order.placed_at,
            _order_href(order.pk),
        )
        if order.activated_at is not None:
            add(
                "order_activated",
                order.pk,
                _("Order %(number)s activated") % number,
                order.activated_at,
                _order_href(order.pk),
            )
        if order.failed_at is not None:
            add(
                "order_failed",
                order.pk,
                _("Order %(number)s could not be completed") % number,
                order.failed_at,
                _order_href(order.pk),
            )
    for request in selectors.list_recent_cancellation_requests(
        customer=customer, limit=RECENT_ACTIVITY_LIMIT
    ):
        add(
            "cancellation_requested",
            request.pk,
            _("Cancellation of %(plan)s requested")
            % {"plan": request.subscription.plan.display_name},
            request.requested_at,
            f"/account/services/{request.subscription_id}",
        )
    events.sort(
        key=lambda event: (event[0].occurred_at, _EVENT_RANK[event[0].type], event[1]),
        reverse=True,
    )
    return tuple(activity for activity, _pk in events[:RECENT_ACTIVITY_LIMIT])


def _blank_to_none(value: str) -> str | None:
    return value or None


def _eligibility_state(eligibility: InternetEligibility) -> EligibilityState:
    return EligibilityState(
        status=eligibility.status,
        requested_at=eligibility.requested_at,
        checked_at=eligibility.checked_at,
        address=_blank_to_none(eligibility.address),
        notes=_blank_to_none(eligibility.notes),
    )


def _verification_state(verification: ResidenceCardVerification) -> VerificationState:
    return VerificationState(
        status=verification.status,
        submitted_at=verification.submitted_at,
        reviewed_at=verification.reviewed_at,
        rejection_reason=_blank_to_none(verification.rejection_reason),
        card_expires_on=verification.card_expires_on,
    )


# --- Tasks (the table of DESIGN.md section 5) ---------------------------------------------


def _long_date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _invoice_tasks(facts: _Facts) -> list[tuple[Task, float]]:
    horizon = invoice_reminder_horizon(now=facts.now)
    tasks = []
    for invoice in facts.unpaid_invoices:
        if invoice.due_date > horizon:
            break  # the list is sorted by due date
        amount = format_money(invoice.total, invoice.currency)
        days = (invoice.due_date - facts.today).days
        values = {"number": invoice.number, "amount": amount, "date": _long_date(invoice.due_date)}
        if days < 0:
            priority, tone = 10, "critical"
            title = _("Invoice %(number)s is overdue") % values
            description = _("%(amount)s was due on %(date)s.") % values
        else:
            priority, tone = 30, "warning"
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
            description = _("%(amount)s, due on %(date)s.") % values
        task = Task(
            id=f"invoice_due:{invoice.pk}",
            type="invoice_due",
            priority=priority,
            tone=tone,
            title=title,
            description=description,
            action_label=_("View invoice"),
            href=_invoice_href(invoice.pk),
            due_date=invoice.due_date,
        )
        tasks.append((task, _start_of_day(invoice.due_date).timestamp()))
    return tasks


def _order_tasks(facts: _Facts) -> list[tuple[Task, float]]:
    descriptions = {
        OrderStatus.PENDING_REVIEW: _("We are reviewing your order for %(plan)s."),
        OrderStatus.APPROVED: _("Your order for %(plan)s is approved and will be set up soon."),
        OrderStatus.PROVISIONING: _("We are setting up %(plan)s for you."),
    }
    return [
        (
            Task(
                id=f"order_in_progress:{order.pk}",
                type="order_in_progress",
                priority=50,
                tone="info",
                title=_("Order %(number)s is in progress") % {"number": order.number},
                description=descriptions[OrderStatus(order.status)]
                % {"plan": order.plan.display_name},
                action_label=_("View order"),
                href=_order_href(order.pk),
            ),
            order.placed_at.timestamp(),
        )
        for order in facts.open_orders
    ]


def _tasks(
    *,
    facts: _Facts,
    eligibility: InternetEligibility,
    verification: ResidenceCardVerification,
    payment_method_count: int | None,
) -> tuple[Task, ...]:
    # Sorted by priority, then due date or placement time (oldest first); the other types
    # occur at most once each, so they need no date.
    undated = 0.0
    ranked: list[tuple[Task, float]] = [*_invoice_tasks(facts), *_order_tasks(facts)]
    never_ordered = not facts.has_ordered and facts.subscription_total == 0
    eligibility_requested = eligibility.status != EligibilityStatus.NOT_REQUESTED

    if verification.status == VerificationStatus.REJECTED:
        task = Task(
            id="idv_rejected",
            type="idv_rejected",
            priority=20,
            tone="critical",
            title=_("Upload your residence card again"),
            description=verification.rejection_reason
            or _(
                "We could not verify your residence card. Please upload clear photos of both sides."
            ),
            action_label=_("Upload again"),
            href="/account/verification",
        )
        ranked.append((task, undated))

    # A brand-new customer sees one task (onboarding); we ask for a way to pay once they
    # have started: checked an address, sent a residence card, ordered or have a service.
    started = (
        eligibility_requested
        or verification.status != VerificationStatus.NOT_SUBMITTED
        or not never_ordered
    )
    if payment_method_count == 0 and started:
        task = Task(
            id="add_payment_method",
            type="add_payment_method",
            priority=40,
            tone="warning",
            title=_("Add a payment method"),
            description=_("Add a card or a bank account so your monthly invoices can be paid."),
            action_label=_("Add payment method"),
            href="/account/billing/payment-methods",
        )
        ranked.append((task, undated))

    if eligibility.status == EligibilityStatus.PENDING:
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
            href="/account/eligibility",
        )
        ranked.append((task, undated))

    if never_ordered:
        if eligibility_requested:
            task = Task(
                id="onboarding",
                type="onboarding",
                priority=90,
                tone="neutral",
                title=_("Choose your first plan"),
                description=_("Pick an internet or a SIM plan to get started."),
                action_label=_("Browse plans"),
                href="/account/orders/new",
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
                href="/account/eligibility",
            )
        ranked.append((task, undated))

    ranked.sort(key=lambda pair: (pair[0].priority, pair[1], pair[0].id))
    return tuple(task for task, _moment in ranked)
