"""Support staff screens for invoices and payment methods."""

from __future__ import annotations

from django.contrib import admin

from billing.models import Invoice, InvoiceLine, PaymentMethod


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "issued_on", "due_date", "total", "status"]
    list_filter = ["status"]
    search_fields = [
        "number",
        "customer__name",
        "customer__user__email",
        "customer__crm_account_id",
    ]
    list_select_related = ["customer"]
    date_hierarchy = "due_date"
    inlines = [InvoiceLineInline]
    raw_id_fields = ["customer"]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "type", "exp_month", "exp_year", "is_default"]
    list_filter = ["type", "brand"]
    search_fields = ["customer__name", "customer__user__email", "last4"]
    list_select_related = ["customer"]
    readonly_fields = [
        "processor_reference",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "type",
        "customer",
        "created_at",
    ]
