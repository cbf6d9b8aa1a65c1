"""Support requests: threads of messages the customer and support staff write in turn."""

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
    # Waiting for staff: new, or the customer wrote last.
    OPEN = "open", _("Open")
    # Staff wrote last; the customer's answer opens it again.
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting for your reply")
    CLOSED = "closed", _("Closed")


class MessageAuthor(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Support")


class SupportRequest(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="support_requests"
    )
    topic = models.CharField(max_length=16, choices=SupportTopic.choices)
    status = models.CharField(
        max_length=24, choices=SupportRequestStatus.choices, default=SupportRequestStatus.OPEN
    )
    created_at = models.DateTimeField()
    # The last time the customer or staff wrote, or the status changed.
    updated_at = models.DateTimeField()
    # When the customer last wrote: the queue's waiting time counts from it.
    last_customer_message_at = models.DateTimeField()
    # When it was last closed: the customer's message reopens it within REOPEN_WINDOW.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "-created_at", "-id"], name="support_customer_created_idx"
            ),
            # The staff queue: open requests, longest waiting first.
            models.Index(
                fields=["last_customer_message_at", "id"],
                name="support_open_queue_idx",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_topic_display()}"


class SupportMessage(models.Model):
    """One message of a thread: the customer's, or a staff member's in a stated language."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=8, choices=MessageAuthor.choices)
    # The staff member who wrote it (None for the customer's messages, or a deleted account).
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=5000)
    # The language the message is written in (staff say it; the customer's is theirs).
    language = models.CharField(max_length=2, choices=Language.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at", "id"], name="support_thread_idx")]

    def __str__(self) -> str:
        return f"Message {self.pk} on #{self.request_id}"


class CannedReply(models.Model):
    """A reply staff often write, in both languages; staff pick one and edit it before sending."""

    title = models.CharField(max_length=120, unique=True)
    body_en = models.TextField("English", max_length=5000)
    body_ja = models.TextField("Japanese", max_length=5000)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title

    def body_in(self, language: str) -> str:
        return self.body_ja if language == Language.JAPANESE else self.body_en
