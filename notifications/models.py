"""In-app notifications, rendered from the catalog when they are created."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
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
