"""The plan catalog, the services customers have, and their cancellation requests."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from portal.text import Text


class PlanKind(models.TextChoices):
    INTERNET = "internet", _("Internet")
    SIM = "sim", _("SIM")


class Plan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=PlanKind.choices)
    name = models.CharField(max_length=100)
    name_ja = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    description_ja = models.TextField(blank=True)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="JPY")
    # What the customer pays once when the service starts (tax included): the installation
    # of an internet line, the issue of a SIM card. Shown on the order review.
    initial_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # A SIM without voice: it has an MSISDN for the network, but no number to call,
    # keep or transfer (MNP), so nothing the customer reads talks about one.
    data_only = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "monthly_price", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language: catalog content is translated in the table."""
        return self.name_in(get_language())

    def name_in(self, language: str | None) -> str:
        if language and language.startswith("ja") and self.name_ja:
            return self.name_ja
        return self.name

    @property
    def names(self) -> Text:
        """The name in every language, for text that is read later (a notification)."""
        return Text(en=self.name, ja=self.name_ja or self.name)

    def description_in(self, language: str | None) -> str:
        if language and language.startswith("ja") and self.description_ja:
            return self.description_ja
        return self.description


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLATION_SCHEDULED = "cancellation_scheduled", _("Cancellation scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    SUSPENDED = "suspended", _("Suspended")

    @property
    def tone(self) -> str:
        """The badge colour wherever this status is shown (pages and dashboard alike)."""
        return _SUBSCRIPTION_TONES[self]


_SUBSCRIPTION_TONES: dict[SubscriptionStatus, str] = {
    SubscriptionStatus.ACTIVE: "success",
    SubscriptionStatus.CANCELLATION_SCHEDULED: "warning",
    SubscriptionStatus.CANCELLED: "neutral",
    SubscriptionStatus.SUSPENDED: "critical",
}


class Subscription(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        max_length=24, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # SIM identifiers.
    msisdn = models.CharField(_("MSISDN"), max_length=15, blank=True)
    iccid = models.CharField(_("ICCID"), max_length=22, blank=True)
    # Internet line.
    line_id = models.CharField(max_length=32, blank=True)
    installation_address = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="subscription_cust_status_idx")]

    def __str__(self) -> str:
        return f"{self.plan} ({self.status})"

    @property
    def kind(self) -> str:
        return self.plan.kind


class CancellationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CancellationReason(models.TextChoices):
    MOVING = "moving", _("I am moving house")
    SWITCHING_PROVIDER = "switching_provider", _("I am switching to another provider")
    TOO_EXPENSIVE = "too_expensive", _("It costs too much")
    NOT_USING = "not_using", _("I no longer use it")
    SERVICE_QUALITY = "service_quality", _("I am unhappy with the speed or reliability")
    LEAVING_JAPAN = "leaving_japan", _("I am leaving Japan")
    OTHER = "other", _("Another reason")


class CancellationRequest(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="cancellation_requests"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="cancellation_requests"
    )
    effective_on = models.DateField()
    reason = models.CharField(max_length=32, choices=CancellationReason.choices)
    comments = models.TextField(blank=True, max_length=1000)
    status = models.CharField(
        max_length=16, choices=CancellationStatus.choices, default=CancellationStatus.SCHEDULED
    )
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(status="scheduled"),
                name="one_scheduled_cancellation_per_subscription",
            )
        ]
        indexes = [
            models.Index(
                fields=["effective_on"],
                name="cancellation_due_idx",
                condition=Q(status="scheduled"),
            ),
            models.Index(fields=["customer", "-requested_at"], name="cancellation_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"Cancellation of {self.subscription_id} on {self.effective_on}"


class SuspensionReason(models.TextChoices):
    NON_PAYMENT = "non_payment", _("Non-payment")
    LOST_SIM = "lost_sim", _("Lost SIM")


class Suspension(models.Model):
    """A reason a service is suspended. Each reason is lifted on its own, so a payment never
    ends a lost-SIM suspension and a new SIM never ends a non-payment one; the service is
    suspended while any of them is open."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="suspensions"
    )
    reason = models.CharField(max_length=16, choices=SuspensionReason.choices)
    # What caused it, for staff: "invoice:<id>" for non-payment.
    source = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "reason"],
                condition=Q(ended_at__isnull=True),
                name="one_open_suspension_per_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Suspension of {self.subscription_id} ({self.reason})"
