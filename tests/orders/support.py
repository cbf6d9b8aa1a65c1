"""Helpers for order tests: customers past the gates, plans of each kind."""

from __future__ import annotations

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    VerificationStatus,
)
from billing.models import PaymentMethod
from notifications.models import Notification
from orders.models import Order
from subscriptions.models import Plan
from tests.factories import PaymentMethodFactory, PlanFactory

ADDRESS = "4-5-6 Nakameguro, Meguro-ku, Tokyo 153-0061"


def set_eligibility(customer: Customer, status: str, address: str = ADDRESS) -> Customer:
    InternetEligibility.objects.filter(customer=customer).update(status=status, address=address)
    customer.refresh_from_db()
    return customer


def set_verification(customer: Customer, status: str) -> Customer:
    ResidenceCardVerification.objects.filter(customer=customer).update(status=status)
    customer.refresh_from_db()
    return customer


def ready_to_order(customer: Customer) -> Customer:
    """Eligible for internet, verified for SIM, and a card on file."""
    set_eligibility(customer, EligibilityStatus.ELIGIBLE)
    if not PaymentMethod.objects.filter(customer=customer).exists():
        PaymentMethodFactory(customer=customer, is_default=True)
    return set_verification(customer, VerificationStatus.VERIFIED)


def sim_plan(**kwargs: object) -> Plan:
    defaults: dict[str, object] = {
        "code": "sim-data-20gb",
        "kind": "sim",
        "name": "SIM Data 20GB",
        "name_ja": "SIM データ 20GB",
        "description": "20 GB of data a month.",
        "description_ja": "月20GBのデータ。",
    }
    return PlanFactory(**{**defaults, **kwargs})


def internet_plan(**kwargs: object) -> Plan:
    defaults: dict[str, object] = {
        "code": "hikari-1g",
        "kind": "internet",
        "name": "Hikari Fiber 1 Gbps",
        "name_ja": "光ファイバー 1Gbps",
        "monthly_price": "5280.00",
    }
    return PlanFactory(**{**defaults, **kwargs})


def notifications_of(order: Order, type: str | None = None) -> list[Notification]:
    found = Notification.objects.filter(
        user=order.customer.user, source_id=order.external_id
    ).order_by("created_at", "id")
    if type is not None:
        found = found.filter(type=type)
    return list(found)


def notification_types(order: Order) -> list[str]:
    return [notification.type for notification in notifications_of(order)]
