"""Support staff screens for invoices and payment methods; actions go through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import services
from billing.models import Invoice, InvoiceLine, PaymentMethod
from portal.api_errors import ApplicationError


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
    actions = ["mark_paid"]

    @admin.action(description=gettext_lazy("Mark selected invoices as paid"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        paid = 0
        for invoice in queryset:
            try:
                services.mark_invoice_paid(invoice_id=invoice.pk)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                paid += 1
        self.message_user(request, _("%(count)d invoice(s) are now paid.") % {"count": paid})


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
        "is_default",
        "created_at",
    ]
    actions = ["make_default", "remove"]

    # Methods come only from the processor, and leave only through the removal rule.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PaymentMethod | None = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Make the selected method its customer's default"))
    def make_default(self, request: HttpRequest, queryset: QuerySet[PaymentMethod]) -> None:
        for method in queryset.select_related("customer"):
            services.set_default_payment_method(
                customer=method.customer, payment_method_id=method.pk
            )
        self.message_user(request, _("The selected methods are now their customers' default."))

    @admin.action(description=gettext_lazy("Remove selected payment methods"))
    def remove(self, request: HttpRequest, queryset: QuerySet[PaymentMethod]) -> None:
        removed = 0
        for method in queryset.select_related("customer"):
            try:
                services.remove_payment_method(
                    customer=method.customer, payment_method_id=method.pk
                )
            except ApplicationError as error:
                self.message_user(request, f"{method}: {error.message}", messages.WARNING)
            else:
                removed += 1
        self.message_user(request, _("%(count)d payment method(s) removed.") % {"count": removed})
