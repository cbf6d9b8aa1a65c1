"""Support staff screens for the catalog, services and cancellations."""

from __future__ import annotations

from django.contrib import admin

from subscriptions.models import CancellationRequest, Plan, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "name", "monthly_price", "active", "position"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "plan", "status", "activated_at", "msisdn", "line_id"]
    list_filter = ["status", "plan__kind"]
    search_fields = ["customer__name", "customer__user__email", "msisdn", "iccid", "line_id"]
    list_select_related = ["customer", "plan"]
    raw_id_fields = ["customer"]


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "subscription",
        "effective_on",
        "reason",
        "status",
        "requested_at",
    ]
    list_filter = ["status", "reason"]
    search_fields = ["customer__name", "customer__user__email"]
    list_select_related = ["customer", "subscription__plan"]
    raw_id_fields = ["customer", "subscription"]
