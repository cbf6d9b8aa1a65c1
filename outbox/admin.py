"""Support staff can see work that is waiting for the broker, and messages it lost."""

from __future__ import annotations

from django.contrib import admin

from outbox.models import OutboxMessage

_FIELDS = (
    "task_name",
    "args",
    "created_at",
    "sent_at",
    "started_at",
    "finished_at",
    "attempts",
    "lost_count",
    "last_error",
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = _FIELDS
    list_filter = (
        ("sent_at", admin.EmptyFieldListFilter),
        ("finished_at", admin.EmptyFieldListFilter),
        "task_name",
    )
    readonly_fields = (*_FIELDS, "lost_after")
