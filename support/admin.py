"""Support requests for staff: the queue, read-only; replies go through the services."""

from __future__ import annotations

from django.contrib import admin

from staff.adminkit import ReadOnlyInline, ServiceOwnedAdmin
from support.models import SupportReply, SupportRequest


class SupportReplyInline(ReadOnlyInline):
    model = SupportReply
    fields = ("created_at", "author", "language", "message")
    readonly_fields = fields


@admin.register(SupportRequest)
class SupportRequestAdmin(ServiceOwnedAdmin):
    list_display = ["id", "customer", "topic", "status", "created_at", "updated_at"]
    list_filter = ["status", "topic"]
    search_fields = ["customer__name", "customer__user__email", "message"]
    ordering = ["created_at", "id"]
    readonly_fields = ("customer", "topic", "message", "status", "created_at", "updated_at")
    fields = readonly_fields
    inlines = [SupportReplyInline]
