"""Support staff screens for notifications and system announcements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from notifications import selectors
from notifications.models import (
    Announcement,
    AnnouncementStatus,
    Device,
    Notification,
    NotificationEmail,
    PushDelivery,
)
from notifications.services.announcements import (
    queue_announcement,
    schedule_announcement,
    unschedule_announcement,
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
    "scheduled_for",
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


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at",
        help_text="Japan time.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Drafts are written here; sending is a button that previews both languages, shows the
    number of recipients and asks for a confirmation, or schedules it for later."""

    list_display = ["title", "audience", "status", "scheduled_for", "progress", "finished_at"]
    list_filter = ["status", "audience"]
    search_fields = ["title", "message"]
    autocomplete_fields = ["customers"]
    fieldsets = (
        (None, {"fields": _CONTENT_FIELDS}),
        (
            _("Sending"),
            {
                "fields": _PROGRESS_FIELDS,
                "description": "Save the draft, then use “Preview and send” on this page.",
            },
        ),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Announcement | None = None
    ) -> tuple[str, ...]:
        if obj is not None and obj.status != AnnouncementStatus.DRAFT:
            # What is scheduled or sent cannot be edited; cancel the schedule first.
            return _CONTENT_FIELDS + _PROGRESS_FIELDS
        return _PROGRESS_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        # Only a draft that nobody received can go.
        if obj is not None and obj.status != AnnouncementStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("progress"))
    def progress(self, obj: Announcement) -> str:
        return obj.progress

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:announcement_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="notifications_announcement_send",
            ),
            path(
                "<int:announcement_id>/unschedule/",
                self.admin_site.admin_view(require_POST(self.unschedule_view)),
                name="notifications_announcement_unschedule",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, announcement_id: int) -> HttpResponseRedirect:
        url = reverse("admin:notifications_announcement_change", args=[announcement_id])
        return HttpResponseRedirect(url)

    def _check_can_send(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    def send_view(self, request: HttpRequest, announcement_id: int) -> HttpResponse:
        """Preview in both languages with the recipient count; send on confirmation or schedule."""
        self._check_can_send(request)
        announcement = get_object_or_404(Announcement, pk=announcement_id)
        preview = selectors.preview_announcement(announcement=announcement)
        schedule_form = ScheduleForm(
            request.POST if "schedule" in request.POST else None,
            initial={"send_at": announcement.scheduled_for},
        )
        now = timezone.now()
        try:
            if request.method == "POST" and "send_now" in request.POST:
                if request.POST.get("expected_count") != str(preview.recipient_count):
                    self.message_user(
                        request,
                        f"The number of recipients changed: it is now {preview.recipient_count}. "
                        "Check it and confirm again.",
                        messages.WARNING,
                    )
                else:
                    queue_announcement(
                        announcement_id=announcement.pk,
                        actor=request.user,  # type: ignore[arg-type]
                        now=now,
                    )
                    self.message_user(
                        request,
                        f"“{announcement.title}” is being sent to {preview.recipient_count} "
                        "customers; reload its page to follow the progress.",
                        messages.SUCCESS,
                    )
                    return self._change_url(announcement.pk)
            if schedule_form.is_valid():
                scheduled = schedule_announcement(
                    announcement_id=announcement.pk,
                    send_at=schedule_form.cleaned_data["send_at"],
                    actor=request.user,  # type: ignore[arg-type]
                    now=now,
                )
                self.message_user(
                    request,
                    f"“{scheduled.title}” will be sent at "
                    f"{timezone.localtime(scheduled.scheduled_for):%Y-%m-%d %H:%M}.",
                    messages.SUCCESS,
                )
                return self._change_url(announcement.pk)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Send “{announcement.title}”",
            "opts": self.opts,
            "original": announcement,
            "preview": preview,
            "schedule_form": schedule_form,
            "sendable": announcement.status
            in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED),
        }
        return TemplateResponse(request, "admin/notifications/announcement/send.html", context)

    def unschedule_view(self, request: HttpRequest, announcement_id: int) -> HttpResponse:
        self._check_can_send(request)
        get_object_or_404(Announcement, pk=announcement_id)
        unschedule_announcement(
            announcement_id=announcement_id,
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        self.message_user(request, "The schedule is cancelled; it is a draft again.")
        return self._change_url(announcement_id)


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


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(_ReadOnlyAdmin):
    """Customers' phones registered for push (read-only: the apps and customers own them).
    The token is left out: it is a credential to reach the phone."""

    exclude = ["token"]
    _shown = ["user", "platform", "app_version", "language", "created_at", "last_seen_at"]
    list_display = ["id", *_shown]
    list_filter = ["platform"]
    search_fields = ["user__email", "user__customer__name"]
    list_select_related = ["user"]
    readonly_fields = _shown
    show_full_result_count = False


@admin.register(PushDelivery)
class PushDeliveryAdmin(_ReadOnlyAdmin):
    """What was pushed and what is waiting (read-only: the sending task owns these rows)."""

    list_display = ["key", "user", "status", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["status"]
    search_fields = ["user__email", "key"]
    list_select_related = ["user"]
    readonly_fields = [
        "key",
        "device",
        "user",
        "notification",
        "status",
        "created_at",
        "sent_at",
        "not_before",
        "attempts",
        "last_error",
        "message_name",
    ]
    show_full_result_count = False
