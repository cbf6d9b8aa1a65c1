"""The demo personas of DESIGN.md section 10: a contract for demos, browser tests and checks.

`load_demo_data` resets every persona to its documented state, with dates relative to
`today`, so running it again gives the same dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Customer,
    EligibilityStatus,
    InternetEligibility,
    ResidenceCardVerification,
    User,
    VerificationStatus,
)
from accounts.services import create_customer
from billing.models import Invoice, InvoiceLine, InvoiceStatus, PaymentMethod
from notifications.models import Notification
from orders.models import Order, OrderStatus
from portal.dates import tokyo_today
from staff.services import make_support_member
from subscriptions.models import CancellationRequest, Plan, PlanKind, Subscription
from subscriptions.plans import upsert_plans

DEMO_PASSWORD = "portal-demo"


@dataclass(frozen=True)
class Persona:
    email: str
    crm_account_id: str
    name: str


NEW = Persona("new@demo.example", "001DEMO000000001", "Hana Suzuki")
OVERDUE = Persona("overdue@demo.example", "001DEMO000000002", "Kenji Tanaka")
REJECTED = Persona("rejected@demo.example", "001DEMO000000003", "Maria Santos")
ORDERING = Persona("ordering@demo.example", "001DEMO000000004", "Alex Kim")
SUPPORT_EMAIL = "support@demo.example"
PERSONAS = (NEW, OVERDUE, REJECTED, ORDERING)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _reset_customer(persona: Persona) -> Customer:
    customer = Customer.objects.filter(user__email=persona.email).select_related("user").first()
    if customer is None:
        return create_customer(
            email=persona.email,
            password=DEMO_PASSWORD,
            name=persona.name,
            crm_account_id=persona.crm_account_id,
        )
    customer.user.set_password(DEMO_PASSWORD)
    customer.user.is_active = True
    customer.user.save(update_fields=["password", "is_active"])
    customer.name = persona.name
    customer.crm_account_id = persona.crm_account_id
    customer.language = "en"
    customer.save(update_fields=["name", "crm_account_id", "language"])
    Notification.objects.filter(user=customer.user).delete()
    CancellationRequest.objects.filter(customer=customer).delete()
    Order.objects.filter(customer=customer).delete()
    Subscription.objects.filter(customer=customer).delete()
    Invoice.objects.filter(customer=customer).delete()
    PaymentMethod.objects.filter(customer=customer).delete()
    InternetEligibility.objects.update_or_create(
        customer=customer,
        defaults={
            "status": EligibilityStatus.NOT_REQUESTED,
            "postal_code": "",
            "address": "",
            "requested_at": None,
            "checked_at": None,
            "notes": "",
            "notes_ja": "",
        },
    )
    ResidenceCardVerification.objects.update_or_create(
        customer=customer,
        defaults={
            "status": VerificationStatus.NOT_SUBMITTED,
            "front_image": "",
            "back_image": "",
            "front_content_type": "",
            "back_content_type": "",
            "submitted_at": None,
            "reviewed_at": None,
            "reviewed_by": None,
            "rejection_reason": "",
            "rejection_reason_ja": "",
            "card_expires_on": None,
        },
    )
    customer.refresh_from_db()
    return customer


def _eligible(customer: Customer, today: date, address: str, postal_code: str) -> None:
    InternetEligibility.objects.filter(customer=customer).update(
        status=EligibilityStatus.ELIGIBLE,
        postal_code=postal_code,
        address=address,
        requested_at=_at(today - timedelta(days=60)),
        checked_at=_at(today - timedelta(days=58)),
        notes="Fiber is available in the building.",
        notes_ja="建物内で光回線をご利用いただけます。",
    )


def _verified(customer: Customer, today: date) -> None:
    ResidenceCardVerification.objects.filter(customer=customer).update(
        status=VerificationStatus.VERIFIED,
        submitted_at=_at(today - timedelta(days=62)),
        reviewed_at=_at(today - timedelta(days=61)),
        card_expires_on=today.replace(year=today.year + 2, day=1),
    )


def _card(customer: Customer, today: date, last4: str) -> PaymentMethod:
    return PaymentMethod.objects.create(
        customer=customer,
        type="card",
        processor_reference=f"pm_demo_{customer.pk}_{last4}",
        brand="Visa",
        last4=last4,
        exp_month=12,
        exp_year=today.year + 2,
        is_default=True,
    )


def _invoice(
    customer: Customer,
    number: str,
    *,
    issued_on: date,
    due_date: date,
    plan_lines: list[tuple[Plan, Decimal]],
    paid: bool,
) -> Invoice:
    total = sum((amount for _, amount in plan_lines), Decimal("0"))
    tax = (total * Decimal(10) / Decimal(110)).quantize(Decimal("1"))
    invoice = Invoice.objects.create(
        customer=customer,
        number=number,
        issued_on=issued_on,
        due_date=due_date,
        total=total,
        tax=tax,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.UNPAID,
        paid_at=_at(due_date - timedelta(days=2)) if paid else None,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=plan.name,
            description_ja=plan.name_ja,
            amount=amount,
            position=index,
        )
        for index, (plan, amount) in enumerate(plan_lines)
    )
    return invoice


def _seed_overdue(customer: Customer, plans: dict[str, Plan], today: date) -> None:
    address = "2-11-3 Meguro, Meguro-ku, Tokyo 153-0063"
    _eligible(customer, today, address, "153-0063")
    _verified(customer, today)
    _card(customer, today, "4242")
    internet_plan, sim_plan = plans["hikari-1g"], plans["sim-data-20gb"]
    started = today - timedelta(days=75)
    internet = Subscription.objects.create(
        customer=customer,
        plan=internet_plan,
        status="active",
        activated_at=_at(started),
        line_id="FLT-DEMO-000201",
        installation_address=address,
    )
    sim = Subscription.objects.create(
        customer=customer,
        plan=sim_plan,
        status="active",
        activated_at=_at(started, 14),
        msisdn="08012340002",
        iccid="8981100000000000202",
    )
    for index, (plan, subscription) in enumerate(((internet_plan, internet), (sim_plan, sim)), 1):
        Order.objects.create(
            customer=customer,
            number=f"ORD-D0020{index}",
            external_id=f"801DEMO00000020{index}",
            plan=plan,
            kind=plan.kind,
            status=OrderStatus.ACTIVATED,
            installation_address=address if plan.kind == PlanKind.INTERNET else "",
            placed_at=_at(started - timedelta(days=7)),
            approved_at=_at(started - timedelta(days=6)),
            provisioning_at=_at(started - timedelta(days=6)),
            activated_at=_at(started),
            subscription=subscription,
        )
    lines = [
        (internet_plan, internet_plan.monthly_price),
        (sim_plan, sim_plan.monthly_price),
    ]
    _invoice(
        customer,
        "INV-D002-01",
        issued_on=today - timedelta(days=70),
        due_date=today - timedelta(days=55),
        plan_lines=lines,
        paid=True,
    )
    _invoice(
        customer,
        "INV-D002-02",
        issued_on=today - timedelta(days=40),
        due_date=today - timedelta(days=25),
        plan_lines=lines,
        paid=True,
    )
    _invoice(
        customer,
        "INV-D002-03",
        issued_on=today - timedelta(days=25),
        due_date=today - timedelta(days=10),
        plan_lines=lines,
        paid=False,
    )
    _invoice(
        customer,
        "INV-D002-04",
        issued_on=today - timedelta(days=4),
        due_date=today + timedelta(days=3),
        plan_lines=lines,
        paid=False,
    )


def _seed_rejected(customer: Customer, today: date) -> None:
    InternetEligibility.objects.filter(customer=customer).update(
        status=EligibilityStatus.PENDING,
        postal_code="150-0002",
        address="1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002",
        requested_at=_at(today - timedelta(days=6), 12),
    )
    ResidenceCardVerification.objects.filter(customer=customer).update(
        status=VerificationStatus.REJECTED,
        submitted_at=_at(today - timedelta(days=14), 9),
        reviewed_at=_at(today - timedelta(days=13), 15),
        rejection_reason="The photo of the back side is unreadable.",
        rejection_reason_ja="裏面の写真が読み取れませんでした。",
    )


def _seed_ordering(customer: Customer, plans: dict[str, Plan], today: date) -> None:
    address = "4-5-6 Nakameguro, Meguro-ku, Tokyo 153-0061"
    _eligible(customer, today, address, "153-0061")
    _verified(customer, today)
    _card(customer, today, "1881")
    internet_plan, sim_plan = plans["hikari-10g"], plans["sim-voice-20gb"]
    Order.objects.create(
        customer=customer,
        number="ORD-D00401",
        external_id="801DEMO000000401",
        plan=internet_plan,
        kind=internet_plan.kind,
        status=OrderStatus.PROVISIONING,
        installation_address=address,
        placed_at=_at(today - timedelta(days=3)),
        approved_at=_at(today - timedelta(days=2)),
        provisioning_at=_at(today - timedelta(days=2), 11),
        # The line waits for its installation visit: the operator finishes it, not our
        # fulfillment, so a worker and beat running the sweep leave it provisioning.
        awaiting_operator=True,
    )
    Order.objects.create(
        customer=customer,
        number="ORD-D00402",
        external_id="801DEMO000000402",
        plan=sim_plan,
        kind=sim_plan.kind,
        status=OrderStatus.PENDING_REVIEW,
        placed_at=_at(today - timedelta(days=1)),
    )


def _seed_support() -> User:
    user = User.objects.filter(email=SUPPORT_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=SUPPORT_EMAIL, password=DEMO_PASSWORD)
    user.set_password(DEMO_PASSWORD)
    user.first_name, user.last_name = "Support", "Desk"
    user.is_active = True
    user.save()
    # A member of the support group, not a superuser: it can do what support does, no more.
    return make_support_member(user=user)


@transaction.atomic
def load_demo_data(*, today: date | None = None) -> list[str]:
    """Create or reset every persona; returns their emails."""
    today = today or tokyo_today()
    plans = upsert_plans()
    customers = [_reset_customer(persona) for persona in PERSONAS]
    _new, overdue, rejected, ordering = customers
    _seed_overdue(overdue, plans, today)
    _seed_rejected(rejected, today)
    _seed_ordering(ordering, plans, today)
    _seed_support()
    return [persona.email for persona in PERSONAS] + [SUPPORT_EMAIL]
