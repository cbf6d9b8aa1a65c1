"""Support staff screens for logins (the customer's page is `workspace.admin`).

The identity checks have their own screens, in `eligibility.admin` and `verification.admin`
(the CRM event inbox is `crm.admin`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import tokens
from accounts.models import (
    User,
)

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
