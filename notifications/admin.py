"""Support staff screens for notifications and system announcements."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import (
    Announcement,
    AnnouncementStatus,
    Notification,
    NotificationEmail,
)
from portal.api_errors import ApplicationError


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "type",
        "category",
        "severity",
        "user",
        "title",
        "source_id",
        "created_at",
        "read_at",
        "retired_at",
        "archived_at",
    ]
    list_filter = ["category", "severity", "type", "source"]
    search_fields = ["user__email", "user__customer__name", "type", "source_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    # Notifications are written by notify() from the catalog, never by hand: a hand-made
    # one could carry any type and any link as the customer's button.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_CONTENT_FIELDS = ("title", "message", "title_ja", "message_ja", "audience", "customers")
_PROGRESS_FIELDS = (
    "status",
    "progress",
    "recipient_count",
    "sent_count",
    "skipped_count",
    "created_by",
    "created_at",
    "queued_at",
    "started_at",
    "finished_at",
)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["title", "audience", "status", "progress", "queued_at", "finished_at"]
    list_filter = ["status", "audience"]
    search_fields = ["title", "message"]
    autocomplete_fields = ["customers"]
    actions = ["send"]
    fieldsets = (
        (None, {"fields": _CONTENT_FIELDS}),
        (
            _("Sending"),
            {
                "fields": _PROGRESS_FIELDS,
                "description": _(
                    "Save the draft, then choose “Send” in the list of announcements. "
                    "Reload this page to follow the progress."
                ),
            },
        ),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Announcement | None = None
    ) -> tuple[str, ...]:
        if obj is not None and obj.status != AnnouncementStatus.DRAFT:
            # What customers received cannot be edited any more.
            return _CONTENT_FIELDS + _PROGRESS_FIELDS
        return _PROGRESS_FIELDS

    @admin.display(description=_("progress"))
    def progress(self, obj: Announcement) -> str:
        return obj.progress

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Send the selected announcements"))
    def send(self, request: HttpRequest, queryset: QuerySet[Announcement]) -> None:
        queued = 0
        for announcement in queryset:
            try:
                services.queue_announcement(announcement_id=announcement.pk)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                queued += 1
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d announcement is being sent; its progress shows in the list.",
                    "%(count)d announcements are being sent; their progress shows in the list.",
                    queued,
                )
                % {"count": queued},
                messages.SUCCESS,
            )


@admin.register(NotificationEmail)
class NotificationEmailAdmin(admin.ModelAdmin):
    """What was emailed and what is waiting (read-only: the sending task owns these rows)."""

    list_display = ["key", "user", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "key"]
    list_select_related = ["user"]
    readonly_fields = [
        "key",
        "user",
        "notification",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    ]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
