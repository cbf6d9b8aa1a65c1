"""Support's screens for internet eligibility: the checks asked for and the result form, which
calls `eligibility.services.record_eligibility_result` (the same function the CRM events use)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import InternetEligibility
from eligibility.forms import EligibilityResultForm
from eligibility.services import record_eligibility_result
from portal.api_errors import ApplicationError
from staff.adminkit import DecisionAdmin


@admin.register(InternetEligibility)
class InternetEligibilityAdmin(DecisionAdmin):
    list_display = [
        "customer",
        "status",
        "postal_code",
        "requested_at",
        "checked_at",
        "decision_link",
    ]
    list_filter = ["status"]
    search_fields = [
        "customer__name",
        "customer__user__email",
        "customer__crm_account_id",
        "address",
        "postal_code",
    ]
    list_select_related = ["customer__user"]
    ordering = ["requested_at"]
    fields = readonly_fields = (
        "customer",
        "status",
        "postal_code",
        "address",
        "requested_at",
        "checked_at",
        "notes",
        "notes_ja",
        "decision_link",
    )

    @admin.display(description="Result")
    def decision_link(self, eligibility: InternetEligibility) -> SafeString:
        url = reverse("admin:accounts_interneteligibility_result", args=[eligibility.pk])
        return format_html('<a class="button" href="{}">Set result</a>', url)

    def get_urls(self) -> list[URLPattern]:
        result = path(
            "<int:eligibility_id>/result/",
            self.admin_site.admin_view(self.result_view),
            name="accounts_interneteligibility_result",
        )
        return [result, *super().get_urls()]

    def result_view(self, request: HttpRequest, eligibility_id: int) -> HttpResponse:
        if not self._can_decide(request):
            raise PermissionDenied
        eligibility = get_object_or_404(
            InternetEligibility.objects.select_related("customer__user"), pk=eligibility_id
        )
        if request.method == "POST":
            form = EligibilityResultForm(request.POST)
        else:
            form = EligibilityResultForm(
                initial={"notes": eligibility.notes, "notes_ja": eligibility.notes_ja}
            )
        if request.method == "POST" and form.is_valid():
            try:
                record_eligibility_result(
                    customer=eligibility.customer,
                    status=form.cleaned_data["status"],
                    notes=form.cleaned_data["notes"],
                    notes_ja=form.cleaned_data["notes_ja"],
                    actor=request.user,  # type: ignore[arg-type]
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self._show_error(form, error)
            else:
                self.message_user(
                    request,
                    f"{eligibility.customer.name}: eligibility set to "
                    f"{form.cleaned_data['status']}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_interneteligibility_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Eligibility result for {eligibility.customer.name}",
            "opts": self.opts,
            "eligibility": eligibility,
            "form": form,
        }
        return TemplateResponse(request, "eligibility/admin/eligibility_result.html", context)
