"""Support staff screens for logins, customers and identity checks.

Decisions (an eligibility result, a residence card review) go through `accounts.services`,
the same functions the CRM events use (the CRM event inbox is `crm.admin`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import services, tokens
from accounts.forms import EligibilityResultForm, ResidenceCardReviewForm, StaffLoginForm
from accounts.models import (
    Customer,
    InternetEligibility,
    ResidenceCardVerification,
    User,
)
from accounts.selectors import get_residence_card_file
from portal.api_errors import ApplicationError
from staff.adminkit import ServiceOwnedAdmin
from staff.selectors import get_customer_overview, search_customers

# API tokens are no one's to browse or edit: a device is logged out by its refresh token, and
# every device by a new password (accounts.tokens).
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)
# The admin's login tells a throttled attempt from a wrong password (accounts.throttling).
admin.site.login_form = StaffLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "date_joined"]
    search_fields = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # A new password set by support: the user's API tokens stop working too.
            user = self.get_object(request, unquote(id))
            if user is not None:
                tokens.revoke_all_tokens(user=user)
        return response

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and hasattr(obj, "customer"):
            # A customer's access changes only through Deactivate / Reactivate on the
            # customer page: the service ends the sessions and tokens and logs who did it.
            readonly.append("is_active")
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a login is deactivated, never deleted: its history stays


class AccessChangeForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="Kept in the staff action log.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
    )


@admin.register(Customer)
class CustomerAdmin(ServiceOwnedAdmin):
    list_display = ["name", "email", "crm_account_id", "phone", "language", "created_at"]
    # Searched by staff.selectors.search_customers (also order and invoice numbers).
    search_fields = ["name"]
    search_help_text = "Email, name, phone, Salesforce Account Id, order or invoice number."
    list_filter = ["language", "user__is_active"]
    list_select_related = ["user"]
    fields = readonly_fields = (
        "name",
        "login",
        "crm_account_id",
        "phone",
        "language",
        "created_at",
    )

    @admin.display(ordering="user__email")
    def email(self, customer: Customer) -> str:
        return customer.user.email

    def get_urls(self) -> list[URLPattern]:
        return [
            *(
                path(
                    f"<int:customer_id>/{change}/",
                    self.admin_site.admin_view(self.access_view),
                    {"change": change},
                    name=f"accounts_customer_{change}",
                )
                for change in ("deactivate", "reactivate")
            ),
            *super().get_urls(),
        ]

    def access_view(self, request: HttpRequest, customer_id: int, change: str) -> HttpResponse:
        """Deactivate or reactivate a customer's login, with a reason, through the service."""
        self.check_can_act(request)
        customer = get_object_or_404(Customer.objects.select_related("user"), pk=customer_id)
        back = reverse("admin:accounts_customer_change", args=[customer.pk])
        form = AccessChangeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            service = (
                services.deactivate_customer
                if change == "deactivate"
                else services.reactivate_customer
            )
            try:
                service(
                    customer=customer,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, f"{customer.name}: {change}d.", messages.SUCCESS)
            return HttpResponseRedirect(back)
        deactivating = change == "deactivate"
        context = {
            **self.admin_site.each_context(request),
            "title": f"{change.capitalize()} {customer.name}",
            "opts": self.opts,
            "form": form,
            "legend": customer.user.email,
            "intro": "They can no longer log in; their open sessions end and their app "
            "tokens stop working. Nothing is deleted, and it can be undone."
            if deactivating
            else "They can log in again.",
            "submit": change.capitalize(),
            "back_url": back,
        }
        return TemplateResponse(request, "staff/admin/action_form.html", context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        return search_customers(queryset=queryset, query=search_term), True

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The customer's whole picture, read-only; a POST is refused as for any read-only row."""
        if request.method != "GET" or not object_id.isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        if not self.has_view_permission(request):
            raise PermissionDenied
        overview = get_customer_overview(customer_id=int(object_id), now=timezone.now())
        context = {
            **self.admin_site.each_context(request),
            "title": overview.customer.name,
            "opts": self.opts,
            "overview": overview,
            "can_act": self.can_act(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "staff/admin/customer.html", context)

    @admin.display(description="Login")
    def login(self, customer: Customer) -> SafeString:
        state = "active" if customer.user.is_active else "deactivated"
        return format_html("{} ({})", customer.user.email, state)


_FORM_FIELDS = {"rejectionReason": "rejection_reason", "cardExpiresOn": "card_expires_on"}
# The service asks for the reason in either language; the form names the English one.


class DecisionAdmin(ServiceOwnedAdmin):
    """Rows support looks at but changes only through a decision form that calls a service."""

    def _can_decide(self, request: HttpRequest) -> bool:
        return self.can_act(request)

    def _show_error(self, form: Any, error: ApplicationError) -> None:
        """Put a service's refusal next to the form field it names (services speak API names)."""
        for name, field_messages in (error.fields or {"": [error.message]}).items():
            field = _FORM_FIELDS.get(name, name)
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)


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
                services.record_eligibility_result(
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
        return TemplateResponse(request, "accounts/admin/eligibility_result.html", context)


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
                services.review_residence_card(
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
        return TemplateResponse(request, "accounts/admin/residence_card_review.html", context)
