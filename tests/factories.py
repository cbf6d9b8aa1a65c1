"""factory-boy factories for every model."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import (
    Customer,
    InternetEligibility,
    ResidenceCardVerification,
    User,
)
from billing.models import Invoice, InvoiceLine, PaymentMethod
from notifications.catalog import get_template
from notifications.models import Notification
from orders.models import Order
from subscriptions.models import CancellationRequest, Plan, Subscription

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True
    is_superuser = True


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer with their eligibility and verification rows, as create_customer makes them."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Faker("name")
    crm_account_id = factory.Sequence(lambda n: f"001TEST{n:09d}")
    language = "en"

    @factory.post_generation
    def gates(obj: Customer, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            InternetEligibility.objects.get_or_create(customer=obj)
            ResidenceCardVerification.objects.get_or_create(customer=obj)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"plan-{n}")
    kind = "sim"
    name = factory.LazyAttribute(lambda plan: f"Plan {plan.code}")
    description = "A plan."
    monthly_price = Decimal("2178.00")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(PlanFactory)
    status = "active"
    activated_at = factory.LazyFunction(timezone.now)
    msisdn = factory.Sequence(lambda n: f"080{n:08d}")
    iccid = factory.Sequence(lambda n: f"89811{n:014d}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(PlanFactory)
    kind = factory.LazyAttribute(lambda order: order.plan.kind)
    number = factory.Sequence(lambda n: f"ORD-T{n:06d}")
    external_id = factory.Sequence(lambda n: f"801TEST{n:011d}")
    status = "pending_review"
    placed_at = factory.LazyFunction(timezone.now)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"INV-T{n:06d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=14))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    total = Decimal("5500.00")
    tax = Decimal("500.00")
    status = "unpaid"


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = "Monthly fee"
    amount = Decimal("5500.00")


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    customer = factory.SubFactory(CustomerFactory)
    type = "card"
    processor_reference = factory.Sequence(lambda n: f"pm_test_{n:08d}")
    brand = "Visa"
    last4 = "4242"
    exp_month = 12
    exp_year = factory.LazyFunction(lambda: timezone.localdate().year + 2)
    is_default = False


class CancellationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CancellationRequest

    subscription = factory.SubFactory(SubscriptionFactory)
    customer = factory.LazyAttribute(lambda request: request.subscription.customer)
    effective_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    reason = "moving"
    status = "scheduled"
    requested_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    class Params:
        # Stored as text that reads the same in every language (rows of the older shape);
        # notify() builds real contexts.
        title = "Planned maintenance"
        message = "We will update our systems tonight."
        action_url = "/account/notifications"
        action_label = "Read more"

    user = factory.SubFactory(UserFactory)
    type = "SYSTEM_ANNOUNCEMENT"
    context = factory.LazyAttribute(
        lambda n: {
            "$legacy": {
                "title": n.title,
                "message": n.message,
                "action_url": n.action_url,
                "action_label": n.action_label,
            }
        }
    )
    category = factory.LazyAttribute(lambda n: get_template(n.type).category)
    severity = factory.LazyAttribute(lambda n: get_template(n.type).severity)
    source = "announcement"
    source_id = factory.Sequence(lambda n: f"announcement-{n}")
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda n: n.created_at + timedelta(days=30))


class InternetSubscriptionFactory(SubscriptionFactory):
    plan = factory.SubFactory(PlanFactory, kind="internet", monthly_price=Decimal("5280.00"))
    msisdn = ""
    iccid = ""
    line_id = factory.Sequence(lambda n: f"FLT-T{n:08d}")
    installation_address = "1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002"
