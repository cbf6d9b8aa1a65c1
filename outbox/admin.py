"""Support staff can see work that is waiting for the broker."""

from __future__ import annotations

from django.contrib import admin

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("task_name", "args", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    readonly_fields = ("task_name", "args", "created_at", "sent_at", "attempts", "last_error")
