"""In-app notifications, rendered from the catalog when they are created, and announcements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        # notification_dedupe_idx starts with the user: a separate user index would only
        # slow down inserts and tempt the planner away from the partial indexes below.
        db_index=False,
    )
    type = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    message = models.TextField()
    action_url = models.CharField(max_length=300, blank=True)
    action_label = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=40)
    source_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=False)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list: one user's visible notifications, newest first.
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="notification_list_idx",
                condition=Q(dismissed_at__isnull=True),
            ),
            # The unread count (the bell): one index range scan.
            models.Index(
                fields=["user", "expires_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True, dismissed_at__isnull=True),
            ),
            # Dedupe look-ups, whatever the notification's state.
            models.Index(
                fields=["user", "type", "source_id", "created_at"],
                name="notification_dedupe_idx",
            ),
            # The daily purge.
            models.Index(fields=["expires_at"], name="notification_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class AnnouncementAudience(models.TextChoices):
    ALL = "all", _("Every customer")
    SELECTED = "selected", _("Selected customers")


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Announcement(models.Model):
    """A message from support staff, sent as SYSTEM_ANNOUNCEMENT to every customer or a selection.

    Sending walks the recipients in user id order; `last_recipient_id` is the cursor, moved in
    the same transaction as each batch insert, so a re-run resumes and never sends twice.
    """

    title = models.CharField(_("title"), max_length=200)
    message = models.TextField(_("message"), max_length=2000)
    title_ja = models.CharField(
        _("title in Japanese"),
        max_length=200,
        blank=True,
        help_text=_(
            "Shown to customers who use the portal in Japanese; the English title if empty."
        ),
    )
    message_ja = models.TextField(_("message in Japanese"), max_length=2000, blank=True)
    audience = models.CharField(
        _("audience"),
        max_length=16,
        choices=AnnouncementAudience.choices,
        default=AnnouncementAudience.ALL,
    )
    customers = models.ManyToManyField(
        "accounts.Customer",
        blank=True,
        related_name="+",
        verbose_name=_("customers"),
        help_text=_("Only used when the audience is the selected customers."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AnnouncementStatus.choices,
        default=AnnouncementStatus.DRAFT,
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    skipped_count = models.PositiveIntegerField(
        _("skipped"), default=0, help_text=_("Recipients who already had this announcement.")
    )
    last_recipient_id = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def progress(self) -> str:
        done = self.sent_count + self.skipped_count
        return f"{done} / {self.recipient_count}"
