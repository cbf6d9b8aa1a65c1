"""In-app notifications, rendered from the catalog when they are read, and announcements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from notifications.catalog import Rendered


class NotificationCategory(models.TextChoices):
    BILLING = "billing", _("Billing")
    ORDERS = "orders", _("Orders")
    SERVICES = "services", _("Services")
    ACCOUNT = "account", _("Account")
    ANNOUNCEMENTS = "announcements", _("Announcements")


_CATEGORY_LABELS: dict[str, StrOrPromise] = dict(NotificationCategory.choices)


class NotificationSeverity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Important")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def update(self, **kwargs: Any) -> int:
        """Every change moves `updated_at`, bulk updates included (the changes feed reads it)."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]


class Notification(models.Model):
    """One notification: its type and context, rendered from the catalog when it is read.

    Nothing customer-readable is stored: `title`, `message`, `action_url` and `action_label`
    are rendered in the active language (the reader's) from `type` and `context`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        # notification_dedupe_idx starts with the user: a separate user index would only
        # slow down inserts and tempt the planner away from the partial indexes below.
        db_index=False,
    )
    type = models.CharField(max_length=40)
    # The catalog's placeholders, JSON-encoded by `catalog.encode_context`.
    context = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=20, choices=NotificationCategory.choices)
    # Fixed when the notification is created (an overdue reminder stays critical).
    severity = models.CharField(max_length=10, choices=NotificationSeverity.choices)
    source = models.CharField(max_length=40)
    source_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=False)
    # Moved by every change, by save() and by every queryset update (NotificationQuerySet);
    # on PostgreSQL a trigger also moves it for writes that bypass the ORM.
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Seen: shown in the opened bell or the inbox (the badge counts unseen ones); read:
    # acted on. Archived replaces the old final "dismissed": it can be undone.
    seen_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Hidden from lists and counts until then; it comes back unread and unseen.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Its subject is settled (the invoice paid, the order activated...): read, out of the count.
    retired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list: one user's visible notifications, newest first.
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="notification_list_idx",
                condition=Q(archived_at__isnull=True),
            ),
            # The list filtered by category.
            models.Index(
                fields=["user", "category", "-created_at", "-id"],
                name="notification_category_idx",
                condition=Q(archived_at__isnull=True),
            ),
            # The archived view, newest first.
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="notification_archived_idx",
                condition=Q(archived_at__isnull=False),
            ),
            # The unread ones, newest first: the dashboard card's newest unread ones and the
            # unread-only list are its first entries, however many read ones come before them.
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="notification_unread_idx",
                condition=Q(
                    read_at__isnull=True, archived_at__isnull=True, retired_at__isnull=True
                ),
            ),
            # The unread count: one index-only scan of the unread rows by expiry (the snooze,
            # the category and the severity that decide "visible" are in the index too), so
            # it starts at the first one that has not expired and never reads the expired
            # ones before it (8,000 for the heaviest customer of the large database).
            models.Index(
                fields=["user", "expires_at", "snoozed_until"],
                include=["category", "severity"],
                name="notification_unread_count_idx",
                condition=Q(
                    read_at__isnull=True, archived_at__isnull=True, retired_at__isnull=True
                ),
            ),
            # The badge (unseen count): the same, over the unseen rows.
            models.Index(
                fields=["user", "expires_at", "snoozed_until"],
                include=["category", "severity"],
                name="notification_unseen_idx",
                condition=Q(
                    seen_at__isnull=True, archived_at__isnull=True, retired_at__isnull=True
                ),
            ),
            # Dedupe and retirement look-ups, whatever the notification's state.
            models.Index(
                fields=["user", "type", "source_id", "created_at"],
                name="notification_dedupe_idx",
            ),
            # What changed since a point in time, per user (sync and the live stream).
            models.Index(fields=["user", "updated_at", "id"], name="notification_changes_idx"),
            # The daily purge.
            models.Index(fields=["expires_at"], name="notification_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.user_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def is_seen(self) -> bool:
        return self.seen_at is not None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def category_label(self) -> str:
        """The category's name in the active language, as `get_category_display()` says it
        without building the field's choices again (the inbox shows twenty)."""
        return str(_CATEGORY_LABELS.get(self.category, self.category))

    def rendered(self, language: str | None = None) -> Rendered:
        """Title, message and action in `language` (default: the active one, the reader's)."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        cache: dict[str, Rendered] = self.__dict__.setdefault("_rendered", {})
        if language not in cache:
            from notifications import catalog

            cache[language] = catalog.render_notification(
                type=self.type, context=self.context, severity=self.severity, language=language
            )
        return cache[language]

    @property
    def title(self) -> str:
        return self.rendered().title

    @property
    def message(self) -> str:
        return self.rendered().message

    @property
    def action_url(self) -> str:
        return self.rendered().action_url

    @property
    def action_label(self) -> str:
        return self.rendered().action_label


class NotificationPreference(models.Model):
    """One customer's choice for one category; a category without a row has the defaults.

    The defaults live in `catalog.DEFAULT_PREFERENCES`, so changing a default needs no data
    migration and the table only holds what customers changed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    category = models.CharField(max_length=20)
    in_app = models.BooleanField()
    email = models.BooleanField()
    # Null: never chosen, the category's default applies (rows from before push existed).
    push = models.BooleanField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="notification_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} for {self.user_id}"


class NotificationEmail(models.Model):
    """One email that a notification sends, claimed and marked sent by the sending task.

    `key` is unique: the notification for most types, the subject and severity for a
    reminder (one mail per invoice and severity however many daily reminders follow). It
    outlives the notification, so a purged reminder is still not mailed again.
    """

    key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_email_unsent_idx",
                condition=Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.key


class DevicePlatform(models.TextChoices):
    IOS = "ios", _("iPhone or iPad")
    ANDROID = "android", _("Android")


class Device(models.Model):
    """A phone with one of the mobile apps that receives push notifications (FCM).

    `token` is FCM's registration token, unique: registering it again moves it to whoever
    registered it last. `token_family` is the login (the refresh token family) it was
    registered with, so logging that login out forgets the device.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    platform = models.CharField(max_length=10, choices=DevicePlatform.choices)
    token = models.CharField(max_length=1024, unique=True)
    app_version = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=35, blank=True)
    token_family = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-last_seen_at"], name="device_user_idx"),
            models.Index(
                fields=["token_family"],
                name="device_token_family_idx",
                condition=~Q(token_family=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} device {self.pk} of {self.user_id}"


class PushStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    # No credentials configured: written to the log instead (development).
    LOGGED = "logged", "Logged only"
    # Nothing left to send: the notification is gone, read or archived, the device moved.
    SKIPPED = "skipped", "Skipped"
    # Refused by FCM for good (a malformed message, a token of another project).
    FAILED = "failed", "Failed"


class PushDelivery(models.Model):
    """One push of one notification to one device, claimed and marked sent by the task.

    `key` is unique: the device and the notification (a reminder: its subject and severity,
    as for email). The row is locked while the push goes out, so a duplicate task waits and
    then finds it done.
    """

    key = models.CharField(max_length=240, unique=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # FCM asked us to wait (Retry-After): nobody sends it before then.
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # FCM's name of the sent message ("projects/.../messages/...").
    message_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "push deliveries"
        indexes = [
            models.Index(
                fields=["created_at"],
                name="push_delivery_pending_idx",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return self.key


class AnnouncementAudience(models.TextChoices):
    ALL = "all", _("Every customer")
    SELECTED = "selected", _("Selected customers")


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
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
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True, editable=False)
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
