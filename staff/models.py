"""The staff action log: who did what, when, to which customer, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffActionType(models.TextChoices):
    ORDER_APPROVED = "order_approved", "Order approved"
    ORDER_REJECTED = "order_rejected", "Order rejected"
    FULFILLMENT_RESUMED = "fulfillment_resumed", "Fulfillment resumed"
    CARD_VERIFIED = "card_verified", "Residence card verified"
    CARD_REJECTED = "card_rejected", "Residence card rejected"
    ELIGIBILITY_SET = "eligibility_set", "Eligibility result set"
    INVOICE_PAID = "invoice_paid", "Invoice marked paid"
    INVOICE_CANCELLED = "invoice_cancelled", "Invoice cancelled"
    PAYMENT_REFUNDED = "payment_refunded", "Payment refunded"
    CANCELLATION_COMPLETED = "cancellation_completed", "Cancellation completed"
    CANCELLATION_WITHDRAWN = "cancellation_withdrawn", "Cancellation withdrawn"
    PAYMENT_METHOD_DEFAULT = "payment_method_default", "Default payment method set"
    PAYMENT_METHOD_REMOVED = "payment_method_removed", "Payment method removed"
    CUSTOMER_DEACTIVATED = "customer_deactivated", "Customer deactivated"
    CUSTOMER_REACTIVATED = "customer_reactivated", "Customer reactivated"
    ANNOUNCEMENT_QUEUED = "announcement_queued", "Announcement sent"
    ANNOUNCEMENT_SCHEDULED = "announcement_scheduled", "Announcement scheduled"
    ANNOUNCEMENT_UNSCHEDULED = "announcement_unscheduled", "Announcement schedule cancelled"
    CRM_EVENT_REPLAYED = "crm_event_replayed", "CRM event re-played"
    SUPPORT_REPLY = "support_reply", "Support request answered"
    SUPPORT_CLOSED = "support_closed", "Support request closed"


class StaffAction(models.Model):
    """One thing a staff member did, written by the service that did it, in its transaction.

    Append-only: nothing in the code updates or deletes a row, and the admin shows them
    read-only to everybody.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(max_length=40, choices=StaffActionType.choices)
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_actions",
        help_text="Empty for actions on no single customer (an announcement).",
    )
    subject_type = models.CharField(max_length=40, help_text="What was acted on, e.g. order.")
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=200, help_text="How staff know it, e.g. ORD-123.")
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="staff_action_customer_idx"),
            models.Index(fields=["-created_at"], name="staff_action_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject_label}"
