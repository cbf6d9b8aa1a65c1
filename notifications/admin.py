"""Support staff screens for notifications."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["type", "user", "title", "source_id", "created_at", "read_at", "dismissed_at"]
    list_filter = ["type"]
    search_fields = ["user__email", "user__customer__name", "type", "source_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
