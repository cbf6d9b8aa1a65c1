"""Support requests for staff: the queue and each thread; replies go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from accounts.models import Language
from portal.api_errors import ApplicationError
from staff.adminkit import ReadOnlyInline, ServiceOwnedAdmin
from support import selectors, services
from support.models import CannedReply, SupportMessage, SupportRequest, SupportRequestStatus


class SupportMessageInline(ReadOnlyInline):
    """The whole thread, oldest first: who wrote, in which language, and what."""

    model = SupportMessage
    verbose_name = "message"
    verbose_name_plural = "Conversation"
    fields = ("created_at", "author_kind", "staff_author", "language", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")


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


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Replies staff often write, in both languages; picked on a request's reply form."""

    list_display = ["title"]
    search_fields = ["title", "body_en", "body_ja"]


def _canned_initial(request: HttpRequest, language: str) -> dict[str, str]:
    """The reply form's start: the customer's language, or a picked canned reply in it."""
    canned_id = request.GET.get("canned", "")
    canned = CannedReply.objects.filter(pk=canned_id).first() if canned_id.isdigit() else None
    if canned is None:
        return {"language": language}
    return {"language": language, "message": canned.body_in(language)}


@admin.register(SupportRequest)
class SupportRequestAdmin(ServiceOwnedAdmin):
    list_display = ["id", "customer", "topic", "status", "waiting", "created_at", "updated_at"]
    list_filter = ["status", "topic"]
    search_fields = ["customer__name", "customer__user__email", "messages__body"]
    list_select_related = ["customer"]
    ordering = ["last_customer_message_at", "id"]
    readonly_fields = (
        "customer",
        "topic",
        "status",
        "created_at",
        "last_customer_message_at",
        "closed_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = [SupportMessageInline]

    @admin.display(description="Waiting since the customer wrote")
    def waiting(self, obj: SupportRequest) -> str:
        if obj.status != SupportRequestStatus.OPEN:
            return "—"
        return timesince(obj.last_customer_message_at, timezone.now())

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, object] | None = None,
    ) -> HttpResponse:
        """The thread (the inline) with the reply form under it, in the customer's language."""
        support_request = (
            SupportRequest.objects.select_related("customer").filter(pk=object_id).first()
            if object_id.isdigit()
            else None
        )
        extra: dict[str, object] = dict(extra_context or {})
        if support_request is not None:
            extra["reply_form"] = ReplyForm(initial={"language": support_request.customer.language})
            extra["customer_language"] = support_request.customer.get_language_display()
            extra["canned_replies"] = list(CannedReply.objects.all())
        return super().change_view(request, object_id, form_url, extra)

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
            initial=_canned_initial(request, support_request.customer.language),
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
        thread = selectors.get_support_request_thread(support_request_id=support_request.pk)
        last_customer = next(
            (f"“{m.body}”" for m in reversed(thread) if m.author_kind == "customer"), ""
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reply to {customer.name} (#{support_request.pk})",
            "opts": self.opts,
            "form": form,
            "legend": f"{support_request.get_topic_display()}: {last_customer}",
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
