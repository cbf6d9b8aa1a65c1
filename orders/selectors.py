"""Read queries for the catalog and orders, always scoped to one customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Customer
from orders.models import OPEN_ORDER_STATUSES, Order, OrderStatus
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from subscriptions.models import Plan, PlanKind, Subscription


def _parse_choice(raw: str | None, *, choices: list[str], field: str) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise ApplicationError(
            "validation_error",
            _("%(field)s must be one of: %(choices)s.")
            % {"field": field, "choices": ", ".join(choices)},
            fields={field: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]},
        )
    return raw


def parse_plan_kind(raw: str | None) -> str | None:
    """A `?kind=` filter: None for no filter, a 400 for an unknown kind."""
    return _parse_choice(raw, choices=list(PlanKind.values), field="kind")


def parse_order_status(raw: str | None) -> str | None:
    """A `?status=` filter: None for no filter, a 400 for an unknown status."""
    return _parse_choice(raw, choices=list(OrderStatus.values), field="status")


def list_active_plans(*, kind: str | None = None) -> list[Plan]:
    plans = Plan.objects.filter(active=True)
    if kind:
        plans = plans.filter(kind=kind)
    return list(plans.order_by("kind", "position", "monthly_price", "code"))


def get_active_plan(*, code: str) -> Plan | None:
    return Plan.objects.filter(code=code, active=True).first()


def get_open_order(*, customer: Customer, kind: str) -> Order | None:
    """The customer's order of this kind still on its way, if any (at most one exists)."""
    return Order.objects.filter(
        customer=customer, kind=kind, status__in=OPEN_ORDER_STATUSES
    ).first()


def get_order_of_subscription(*, subscription: Subscription) -> Order | None:
    """The order that produced a service; None for services set up another way. The
    subscription is the customer's already (its page found it by owner)."""
    return Order.objects.filter(subscription=subscription).first()


def orders_for_customer(*, customer: Customer, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(customer=customer).select_related("plan")
    if status:
        orders = orders.filter(status=status)
    return orders


def get_order_for_customer(*, customer: Customer, order_id: int) -> Order:
    """One of the customer's orders; Http404 for anyone else's, so ids cannot be probed."""
    try:
        return Order.objects.select_related("plan").get(pk=order_id, customer=customer)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@dataclass(frozen=True)
class TimelineStep:
    key: str
    label: str
    # done | current | failed | upcoming
    state: str
    at: datetime | None = None
    detail: str = ""


def get_order_timeline(order: Order) -> list[TimelineStep]:
    """The steps of an order from placement to activation (or failure), for its page."""
    status = order.status
    steps = [TimelineStep("placed", _("Order placed"), "done", order.placed_at)]
    if status == OrderStatus.CANCELLED:
        steps.append(
            TimelineStep(
                "cancelled",
                _("Order cancelled"),
                "failed",
                order.cancelled_at,
                str(order.failure_reason_text),
            )
        )
        return steps

    if status == OrderStatus.PENDING_REVIEW:
        steps.append(
            TimelineStep(
                "approved",
                _("Review by our team"),
                "current",
                detail=_("We check every order, usually within one business day."),
            )
        )
    else:
        steps.append(TimelineStep("approved", _("Approved"), "done", order.approved_at))

    setting_up = (
        _("Setting up your SIM")
        if order.kind == PlanKind.SIM
        else _("Setting up your internet line")
    )
    if status in (OrderStatus.PENDING_REVIEW, OrderStatus.APPROVED):
        steps.append(TimelineStep("provisioning", setting_up, "upcoming"))
    elif status == OrderStatus.PROVISIONING:
        steps.append(TimelineStep("provisioning", setting_up, "current", order.provisioning_at))
    else:
        steps.append(TimelineStep("provisioning", setting_up, "done", order.provisioning_at))

    if status == OrderStatus.FAILED:
        steps.append(
            TimelineStep(
                "failed",
                _("Could not be completed"),
                "failed",
                order.failed_at,
                str(order.failure_reason_text),
            )
        )
    elif status == OrderStatus.ACTIVATED:
        steps.append(TimelineStep("activated", _("Active"), "done", order.activated_at))
    else:
        steps.append(TimelineStep("activated", _("Active"), "upcoming"))
    return steps


# How long each part of an order usually takes, for the estimate on its page (calendar days).
REVIEW_DAYS = 2
INTERNET_INSTALLATION_DAYS = 14
SIM_DELIVERY_DAYS = 4


@dataclass(frozen=True)
class OrderSchedule:
    """When the service starts: the day it did, or an estimate while the order is open.

    We hold no appointment date: the installation day of an internet line is the day it
    was activated, and before that the page says how dates are agreed and estimates one.
    """

    installed_on: date | None = None
    activated_on: date | None = None
    estimate: date | None = None


def get_order_schedule(order: Order, *, today: date | None = None) -> OrderSchedule:
    if order.status == OrderStatus.ACTIVATED and order.activated_at is not None:
        day = tokyo_today(now=order.activated_at)
        return OrderSchedule(
            installed_on=day if order.kind == PlanKind.INTERNET else None, activated_on=day
        )
    if order.status not in OPEN_ORDER_STATUSES:
        return OrderSchedule()
    lead = INTERNET_INSTALLATION_DAYS if order.kind == PlanKind.INTERNET else SIM_DELIVERY_DAYS
    if order.approved_at is not None:
        start = tokyo_today(now=order.approved_at)
    else:
        start = tokyo_today(now=order.placed_at) + timedelta(days=REVIEW_DAYS)
    # An estimate in the past helps nobody: a late order is estimated from today.
    today = today or tokyo_today()
    return OrderSchedule(estimate=max(start + timedelta(days=lead), today + timedelta(days=1)))
