"""The staff action log in the admin: read-only for everybody, superusers included."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from staff.models import StaffAction


@admin.register(StaffAction)
class StaffActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "customer_link", "subject_label", "reason"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = [
        "customer__name",
        "customer__user__email",
        "customer__crm_account_id",
        "subject_label",
        "actor__email",
    ]
    list_select_related = ["actor", "customer"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "actor",
        "action",
        "customer",
        "subject_type",
        "subject_id",
        "subject_label",
        "reason",
        "details",
    )

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        # The customer's page links here with ?customer__id__exact=<id>.
        if lookup in ("customer__id__exact", "customer"):
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="Customer", ordering="customer__name")
    def customer_link(self, action: StaffAction) -> SafeString | str:
        if action.customer is None:
            return "—"
        url = reverse("admin:accounts_customer_change", args=[action.customer_id])
        return format_html('<a href="{}">{}</a>', url, action.customer.name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
