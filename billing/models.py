"""Invoices (and what the billing run needs to issue them) and the payment methods a payment
processor tokenised for us."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from portal.dates import add_months, months_between

# Due dates and card expiry months are calendar dates in Japan (portal.dates.tokyo_today).


class InvoiceStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


def overdue_condition(*, today: date) -> Q:
    """The query twin of `Invoice.is_overdue`: unpaid after its due date."""
    return Q(status=InvoiceStatus.UNPAID, due_date__lt=today)


class InvoiceKind(models.TextChoices):
    # Issued by the billing run for one customer and one month (DESIGN.md section 12).
    MONTHLY = "monthly", _("Monthly")
    # Anything else: a top-up paid at once, an invoice issued before the billing run existed.
    ONE_OFF = "one_off", _("One-off")


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def overdue(self, *, today: date) -> InvoiceQuerySet:
        return self.filter(overdue_condition(today=today))


class Invoice(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=32, unique=True)
    issued_on = models.DateField()
    due_date = models.DateField()
    # Totals include consumption tax; `tax` is the part of `total` that is tax.
    total = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="JPY")
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.ONE_OFF)
    # The month a monthly invoice bills, first and last day (Tokyo); null for a one-off one.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            # However many billing runs overlap or repeat, a customer's month is billed once.
            models.UniqueConstraint(
                fields=["customer", "period_start"],
                condition=Q(kind="monthly"),
                name="one_monthly_invoice_per_customer_and_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="one_off", period_start__isnull=True, period_end__isnull=True)
                | Q(kind="monthly", period_start__isnull=False, period_end__isnull=False),
                name="invoice_period_follows_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "due_date"],
                name="invoice_unpaid_due_idx",
                condition=Q(status="unpaid"),
            ),
            models.Index(
                fields=["customer", "-issued_on", "-id"], name="invoice_customer_issued_idx"
            ),
            # The dashboard's newest payments (recent activity).
            models.Index(
                fields=["customer", "-paid_at", "-id"],
                name="invoice_customer_paid_idx",
                condition=Q(paid_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_overdue(self, *, today: date) -> bool:
        """Unpaid after its due date (Japan time): on the due date itself it is not late yet.

        `overdue_condition` says the same in a query; a test keeps the two in step.
        """
        return self.status == InvoiceStatus.UNPAID and self.due_date < today


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    # In English and Japanese, written when the invoice is issued (a plan's name from the
    # catalog in both): an issued invoice keeps its wording if the catalog changes later.
    description = models.CharField(max_length=200)
    description_ja = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def display_description(self) -> str:
        """The description in the active language; English where no Japanese was written."""
        if (get_language() or "").startswith("ja") and self.description_ja:
            return self.description_ja
        return self.description

    @property
    def currency(self) -> str:
        # Lines are read through their invoice (prefetched), so this costs no query.
        return self.invoice.currency


class PaymentMethodType(models.TextChoices):
    CARD = "card", _("Card")
    BANK_ACCOUNT = "bank_account", _("Bank account")


# A card "expires soon" when it stops working before the end of the month this many months
# ahead: that leaves the customer at least a few weeks to add a new card before a charge fails.
EXPIRES_SOON_MONTHS = 1


def expired_condition(*, today: date) -> Q:
    """The query twin of `PaymentMethod.is_expired`: the expiry month is before this one."""
    return Q(exp_year__lt=today.year) | Q(exp_year=today.year, exp_month__lt=today.month)


def expires_soon_condition(*, today: date) -> Q:
    """The query twin of `PaymentMethod.expires_soon` (expired cards included)."""
    year, month = add_months(today.year, today.month, EXPIRES_SOON_MONTHS)
    return Q(exp_year__lt=year) | Q(exp_year=year, exp_month__lte=month)


class PaymentMethodQuerySet(models.QuerySet["PaymentMethod"]):
    def expiring_soon(self, *, today: date) -> PaymentMethodQuerySet:
        """Cards that still work this month but stop before the end of the next."""
        return self.filter(expires_soon_condition(today=today)).exclude(
            expired_condition(today=today)
        )

    def lasting(self, *, today: date) -> PaymentMethodQuerySet:
        """Ways to pay that do not expire soon: bank accounts and cards with time left."""
        return self.exclude(expires_soon_condition(today=today))


class PaymentMethod(models.Model):
    """Only what the processor's token gives back: never a card number or security code."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    type = models.CharField(
        max_length=16, choices=PaymentMethodType.choices, default=PaymentMethodType.CARD
    )
    processor_reference = models.CharField(max_length=64, unique=True)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentMethodQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="one_default_payment_method_per_customer",
            )
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="payment_method_cust_idx")]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    def _months_left(self, today: date) -> int | None:
        """Whole months from this month to the last month the card works (0: this month)."""
        if self.exp_year is None or self.exp_month is None:
            return None
        return months_between((today.year, today.month), (self.exp_year, self.exp_month))

    def is_expired(self, *, today: date) -> bool:
        """A card works until the end of its expiry month."""
        months_left = self._months_left(today)
        return months_left is not None and months_left < 0

    def expires_soon(self, *, today: date) -> bool:
        """The card stops working before the end of next month (expired ones included)."""
        months_left = self._months_left(today)
        return months_left is not None and months_left <= EXPIRES_SOON_MONTHS


class PaymentStatus(models.TextChoices):
    # Stored before the processor is asked to charge, so a charge cut off by a crash is found
    # and finished by `billing.services.payments.complete_payment` (the same charge, never a
    # second).
    PENDING = "pending", _("Processing")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Declined")
    # Staff refunded part of it, or all of it (billing.services.refunds).
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")


# A payment that went through, refunded or not: it has a receipt.
PAID_PAYMENT_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)


class Payment(models.Model):
    """One attempt to pay one invoice with one payment method, keyed by the client's key."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    # The method may be removed later; the payment keeps what it was paid with.
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    method_description = models.CharField(max_length=80, blank=True)
    idempotency_key = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="JPY")
    status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    processor_reference = models.CharField(max_length=64, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="one_payment_per_idempotency_key"
            ),
            # However many requests arrive at once, an invoice is charged once.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["pending", "succeeded"]),
                name="one_live_payment_per_invoice",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], name="payment_pending_idx", condition=Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for {self.invoice_id}"

    @property
    def receipt_number(self) -> str:
        return f"RCT-{self.pk:08d}"


class Refund(models.Model):
    """Money given back on a payment by staff, through the processor; a credit note each.

    The idempotency key is the form's (or the caller's): the same key is one refund however
    often it is sent.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="JPY")
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=255, unique=True)
    processor_reference = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return self.credit_note_number

    @property
    def credit_note_number(self) -> str:
        return f"CRN-{self.pk:08d}"


class InvoiceNumberSequence(models.Model):
    """The last invoice number given out in a year ("INV-2027-000042" is 42 of 2027).

    Its row is locked by the transaction that numbers invoices, so numbers are gapless:
    a transaction that rolls back gives its numbers back with it (billing.services.numbering).
    """

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class BillingRunStatus(models.TextChoices):
    # Staff read these in the admin only (English, as the rest of the admin).
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"


class BillingRun(models.Model):
    """The billing run of one month: its progress, so a run that stopped is finished later.

    Customers are walked by id; `last_customer_id` is the last one whose chunk committed.
    """

    period_start = models.DateField(unique=True)
    status = models.CharField(
        max_length=16, choices=BillingRunStatus.choices, default=BillingRunStatus.RUNNING
    )
    # The moment the run was for (run_job --at, or beat's), not when a worker got to it.
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    customers_total = models.PositiveIntegerField(default=0)
    customers_done = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    last_customer_id = models.BigIntegerField(default=0)
    # The clock on the wall at the last chunk: how the sweep tells a stopped run.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start"]
        indexes = [
            models.Index(
                fields=["updated_at"], name="billing_run_running_idx", condition=Q(status="running")
            )
        ]

    def __str__(self) -> str:
        return f"Billing run {self.period_start:%Y-%m}"


class UnbilledCharge(models.Model):
    """A one-time fee owed by a customer until a monthly invoice bills it (`invoice` set).

    Recorded once per thing charged for (`source_type`, `source_id`): an order's initial fee
    when it activates, a SIM reissue's fee. Tax included, as every price.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="unbilled_charges"
    )
    description = models.CharField(max_length=200)
    description_ja = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="JPY")
    incurred_on = models.DateField()
    source_type = models.CharField(max_length=32)
    source_id = models.CharField(max_length=64)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["incurred_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="one_charge_per_source"
            )
        ]
        indexes = [
            models.Index(
                fields=["customer", "incurred_on"],
                name="unbilled_charge_open_idx",
                condition=Q(invoice__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount} {self.currency})"


class ChargeAttempt(models.Model):
    """One automatic charge of an unpaid invoice to the customer's default card: the first
    on the due date at 09:00, the retries after it (billing.services.collection).

    The row exists from the moment it is scheduled; whoever sets `attempted_at` first makes
    the attempt, so two collection runs never charge the same attempt twice.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="charge_attempts")
    number = models.PositiveSmallIntegerField()
    scheduled_for = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    # The payment the attempt made; none when there was no usable card to charge.
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="charge_attempt"
    )
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    # When the outcome (a failure's notice and next attempt) was recorded: once per attempt.
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "number"], name="one_charge_per_attempt")
        ]
        indexes = [
            models.Index(
                fields=["scheduled_for"],
                name="charge_attempt_due_idx",
                condition=Q(attempted_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} for invoice {self.invoice_id}"

    @property
    def idempotency_key(self) -> str:
        return f"autocharge:{self.invoice_id}:{self.number}"


class StripeCustomer(models.Model):
    """The Stripe customer of one portal customer: created once, then always the same one."""

    # The portal's own name for the customer at the processor ("customer-<id>").
    customer_reference = models.CharField(max_length=64, unique=True)
    stripe_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer_reference} → {self.stripe_id}"


class ProcessorEvent(models.Model):
    """A processor's webhook event, by its id: each is handled once, however often it comes."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
