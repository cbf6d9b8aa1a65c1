"""Orders for a plan and their way through fulfillment."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from portal.text import Text
from subscriptions.models import Plan, PlanKind, Subscription


class OrderStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review")
    APPROVED = "approved", _("Approved")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVATED = "activated", _("Activated")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def tone(self) -> str:
        """The badge colour wherever this status is shown (pages and dashboard alike)."""
        return _ORDER_TONES[self]


_ORDER_TONES: dict[OrderStatus, str] = {
    OrderStatus.PENDING_REVIEW: "neutral",
    OrderStatus.APPROVED: "info",
    OrderStatus.PROVISIONING: "info",
    OrderStatus.ACTIVATED: "success",
    OrderStatus.FAILED: "critical",
    OrderStatus.CANCELLED: "neutral",
}


OPEN_ORDER_STATUSES = (
    OrderStatus.PENDING_REVIEW,
    OrderStatus.APPROVED,
    OrderStatus.PROVISIONING,
)


def latest_event_at() -> Coalesce:
    """When an order's latest event happened: it activates or fails after it is placed, so
    the first of those times that is set."""
    return Coalesce("activated_at", "failed_at", "placed_at")


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=16, unique=True)
    # The Salesforce Order Id; in standalone mode generated once when the order is placed.
    external_id = models.CharField(max_length=18, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="orders")
    # Copied from the plan so "one open order per kind" is a database constraint.
    kind = models.CharField(max_length=16, choices=PlanKind.choices)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING_REVIEW
    )
    installation_address = models.CharField(max_length=300, blank=True)
    # Why it failed or was rejected, in English and Japanese (staff write both; our own
    # reasons come from the translations).
    failure_reason = models.TextField(blank=True)
    failure_reason_ja = models.TextField(blank=True)
    placed_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    provisioning_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    subscription = models.OneToOneField(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="order"
    )
    provisioning_attempts = models.PositiveSmallIntegerField(default=0)
    # Provisioning with the operator, which finishes it on its side (a fiber line waiting for
    # its installation visit) and tells us when the line is up. Our fulfillment and its sweep
    # leave such an order alone; support's "resume fulfillment" takes it back.
    awaiting_operator = models.BooleanField(default=False)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(status__in=["pending_review", "approved", "provisioning"]),
                name="one_open_order_per_customer_and_kind",
            )
        ]
        indexes = [
            models.Index(
                fields=["customer", "-placed_at", "-id"], name="order_customer_placed_idx"
            ),
            models.Index(
                fields=["customer", "placed_at"],
                name="order_open_idx",
                condition=Q(status__in=["pending_review", "approved", "provisioning"]),
            ),
            # The dashboard's newest order events: each order's latest event time, newest
            # first (dashboard.selectors), read ten entries deep instead of sorted.
            models.Index(
                F("customer"),
                latest_event_at().desc(),
                F("id").desc(),
                name="order_customer_latest_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def failure_reason_text(self) -> Text:
        """The reason in the reader's language (str() in the active language)."""
        return Text(en=self.failure_reason, ja=self.failure_reason_ja)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES
