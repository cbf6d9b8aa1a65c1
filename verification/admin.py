"""Support's screens for residence cards: the cards sent, both sides streamed to staff only,
and the review form, which calls `verification.services.review.review_residence_card` (the
same function the CRM events use)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import ResidenceCardVerification
from portal.api_errors import ApplicationError
from staff.adminkit import DecisionAdmin
from verification.forms import ResidenceCardReviewForm
from verification.selectors import get_residence_card_file
from verification.services.review import review_residence_card

_CARD_FIELDS = (
    "customer",
    "status",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "rejection_reason",
    "rejection_reason_ja",
    "card_expires_on",
    "front_preview",
    "back_preview",
    "decision_link",
)


@admin.register(ResidenceCardVerification)
class ResidenceCardVerificationAdmin(DecisionAdmin):
    list_display = ["customer", "status", "submitted_at", "reviewed_at", "decision_link"]
    list_filter = ["status"]
    search_fields = ["customer__name", "customer__user__email", "customer__crm_account_id"]
    list_select_related = ["customer__user"]
    ordering = ["submitted_at"]
    fields = readonly_fields = _CARD_FIELDS
    # The service asks for the reason in either language; the form names the English one.
    form_fields = {"rejectionReason": "rejection_reason", "cardExpiresOn": "card_expires_on"}

    def _image_url(self, verification: ResidenceCardVerification, side: str) -> str:
        return reverse(
            "admin:accounts_residencecardverification_image", args=[verification.pk, side]
        )

    def _preview(self, verification: ResidenceCardVerification, side: str) -> SafeString:
        if not getattr(verification, f"{side}_image"):
            return format_html("{}", "Nothing uploaded")
        url = self._image_url(verification, side)
        if getattr(verification, f"{side}_content_type") == "application/pdf":
            return format_html('<a href="{}" target="_blank" rel="noopener">Open PDF</a>', url)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">'
            '<img src="{}" alt="{} side of the residence card" width="360"></a>',
            url,
            url,
            side.capitalize(),
        )

    @admin.display(description="Front side")
    def front_preview(self, verification: ResidenceCardVerification) -> SafeString:
        return self._preview(verification, "front")

    @admin.display(description="Back side")
    def back_preview(self, verification: ResidenceCardVerification) -> SafeString:
        return self._preview(verification, "back")

    @admin.display(description="Review")
    def decision_link(self, verification: ResidenceCardVerification) -> SafeString:
        url = reverse("admin:accounts_residencecardverification_review", args=[verification.pk])
        return format_html('<a class="button" href="{}">Review</a>', url)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:verification_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="accounts_residencecardverification_review",
            ),
            path(
                "<int:verification_id>/image/<str:side>/",
                self.admin_site.admin_view(self.image_view),
                name="accounts_residencecardverification_image",
            ),
            *super().get_urls(),
        ]

    def image_view(self, request: HttpRequest, verification_id: int, side: str) -> FileResponse:
        """Stream one side of a card to support staff; nothing else serves these files."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        file, content_type = get_residence_card_file(verification_id=verification_id, side=side)
        extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
        name = f"residence-card-{verification_id}-{side}.{extension.get(content_type, 'bin')}"
        response = FileResponse(
            file.open("rb"), content_type=content_type, as_attachment=False, filename=name
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def review_view(self, request: HttpRequest, verification_id: int) -> HttpResponse:
        if not self._can_decide(request):
            raise PermissionDenied
        verification = get_object_or_404(
            ResidenceCardVerification.objects.select_related("customer__user"),
            pk=verification_id,
        )
        if request.method == "POST":
            form = ResidenceCardReviewForm(request.POST)
        else:
            form = ResidenceCardReviewForm(
                initial={
                    "card_expires_on": verification.card_expires_on,
                    "rejection_reason": verification.rejection_reason,
                    "rejection_reason_ja": verification.rejection_reason_ja,
                }
            )
        if request.method == "POST" and form.is_valid():
            try:
                review_residence_card(
                    customer=verification.customer,
                    status=form.cleaned_data["status"],
                    reviewer=request.user,  # type: ignore[arg-type]
                    card_expires_on=form.cleaned_data["card_expires_on"],
                    rejection_reason=form.cleaned_data["rejection_reason"],
                    rejection_reason_ja=form.cleaned_data["rejection_reason_ja"],
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self._show_error(form, error)
            else:
                self.message_user(
                    request,
                    f"{verification.customer.name}: residence card {form.cleaned_data['status']}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_residencecardverification_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review the residence card of {verification.customer.name}",
            "opts": self.opts,
            "verification": verification,
            "front": self._preview(verification, "front"),
            "back": self._preview(verification, "back"),
            "form": form,
        }
        return TemplateResponse(request, "verification/admin/residence_card_review.html", context)
