"""Support requests for staff: the queue, read-only; replies go through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from support.models import SupportReply, SupportRequest


class SupportReplyInline(admin.TabularInline):
    model = SupportReply
    fields = ("created_at", "author", "language", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "topic", "status", "created_at", "updated_at"]
    list_filter = ["status", "topic"]
    search_fields = ["customer__name", "customer__user__email", "message"]
    ordering = ["created_at", "id"]
    readonly_fields = ("customer", "topic", "message", "status", "created_at", "updated_at")
    fields = readonly_fields
    inlines = [SupportReplyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
