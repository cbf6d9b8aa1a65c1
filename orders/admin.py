"""Support staff screens for orders."""

from __future__ import annotations

from django.contrib import admin

from orders.models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "plan", "status", "placed_at", "activated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["number", "external_id", "customer__name", "customer__user__email"]
    list_select_related = ["customer", "plan"]
    raw_id_fields = ["customer", "subscription"]
    date_hierarchy = "placed_at"
