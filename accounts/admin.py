"""Support staff screens for logins and customers.

The identity checks have their own screens, in `eligibility.admin` and `verification.admin`
(the CRM event inbox is `crm.admin`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import services, tokens
from accounts.models import (
    Customer,
    User,
)
from portal.api_errors import ApplicationError
from staff.adminkit import ServiceOwnedAdmin
from staff.selectors import get_customer_overview, search_customers

# API tokens are no one's to browse or edit: a device is logged out by its refresh token, and
# every device by a new password (accounts.tokens).
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)


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
