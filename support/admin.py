"""Support requests for staff: the queue, read-only; replies go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Language
from portal.api_errors import ApplicationError
from staff.adminkit import ReadOnlyInline, ServiceOwnedAdmin
from support import services
from support.models import SupportReply, SupportRequest


class SupportReplyInline(ReadOnlyInline):
    model = SupportReply
    fields = ("created_at", "author", "language", "message")
    readonly_fields = fields


class ReplyForm(forms.Form):
    language = forms.ChoiceField(
        label="Written in",
        choices=Language.choices,
        widget=forms.RadioSelect,
        help_text="The customer reads your reply as written; say which language it is in.",
    )
    message = forms.CharField(
        label="Reply", widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), max_length=5000
    )


@admin.register(SupportRequest)
class SupportRequestAdmin(ServiceOwnedAdmin):
    list_display = ["id", "customer", "topic", "status", "created_at", "updated_at"]
    list_filter = ["status", "topic"]
    search_fields = ["customer__name", "customer__user__email", "message"]
    list_select_related = ["customer"]
    ordering = ["created_at", "id"]
    readonly_fields = ("customer", "topic", "message", "status", "created_at", "updated_at")
    fields = readonly_fields
    inlines = [SupportReplyInline]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:request_id>/reply/",
                self.admin_site.admin_view(self.reply_view),
                name="support_supportrequest_reply",
            ),
            path(
                "<int:request_id>/close/",
                self.admin_site.admin_view(require_POST(self.close_view)),
                name="support_supportrequest_close",
            ),
            *super().get_urls(),
        ]

    def _back(self, request_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:support_supportrequest_change", args=[request_id])
        )

    def reply_view(self, request: HttpRequest, request_id: int) -> HttpResponse:
        self.check_can_act(request)
        support_request = get_object_or_404(
            SupportRequest.objects.select_related("customer"), pk=request_id
        )
        form = ReplyForm(
            request.POST if request.method == "POST" else None,
            initial={"language": support_request.customer.language},
        )
        if form.is_valid():
            try:
                services.reply_to_support_request(
                    support_request_id=support_request.pk,
                    author=request.user,  # type: ignore[arg-type]
                    message=form.cleaned_data["message"],
                    language=form.cleaned_data["language"],
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, "Reply sent.", messages.SUCCESS)
                return self._back(support_request.pk)
        customer = support_request.customer
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reply to {customer.name} (#{support_request.pk})",
            "opts": self.opts,
            "form": form,
            "legend": f"{support_request.get_topic_display()}: “{support_request.message}”",
            "intro": f"{customer.name} uses the portal in {customer.get_language_display()}.",
            "submit": "Send reply",
            "back_url": reverse("admin:support_supportrequest_change", args=[support_request.pk]),
        }
        return TemplateResponse(request, "staff/admin/action_form.html", context)

    def close_view(self, request: HttpRequest, request_id: int) -> HttpResponse:
        self.check_can_act(request)
        get_object_or_404(SupportRequest, pk=request_id)
        services.close_support_request(
            support_request_id=request_id,
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        self.message_user(request, "Request closed.", messages.SUCCESS)
        return self._back(request_id)
