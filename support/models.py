"""Support requests a customer writes to us, and the replies support staff write back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, Language


class SupportTopic(models.TextChoices):
    BILLING = "billing", _("Billing and payments")
    ORDERS = "orders", _("Orders")
    SERVICES = "services", _("Internet and SIM services")
    ACCOUNT = "account", _("Account and verification")
    OTHER = "other", _("Something else")


class SupportRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SupportRequest(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="support_requests"
    )
    topic = models.CharField(max_length=16, choices=SupportTopic.choices)
    message = models.TextField(max_length=5000)
    status = models.CharField(
        max_length=16, choices=SupportRequestStatus.choices, default=SupportRequestStatus.OPEN
    )
    created_at = models.DateTimeField()
    # The last time the customer or staff wrote, or the status changed.
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-created_at", "-id"], name="support_customer_created_idx"
            ),
            # The staff queue: open requests, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="support_open_queue_idx",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_topic_display()}"


class SupportReply(models.Model):
    """A reply staff wrote; `language` says which language it is written in."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(max_length=5000)
    language = models.CharField(max_length=2, choices=Language.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Reply to #{self.request_id}"
