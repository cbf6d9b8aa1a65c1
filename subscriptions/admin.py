"""Support staff screens for the catalog, services and cancellations."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.api_errors import ApplicationError
from subscriptions import services
from subscriptions.models import CancellationRequest, Plan, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "name", "monthly_price", "active", "position"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


class CancellationRequestInline(admin.TabularInline):
    model = CancellationRequest
    readonly_fields = (
        "effective_on",
        "reason",
        "status",
        "requested_at",
        "completed_at",
        "withdrawn_at",
    )
    fields = readonly_fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "plan", "status", "activated_at", "msisdn", "line_id"]
    list_filter = ["status", "plan__kind"]
    search_fields = ["customer__name", "customer__user__email", "msisdn", "iccid", "line_id"]
    list_select_related = ["customer", "plan"]
    raw_id_fields = ["customer"]
    inlines = [CancellationRequestInline]


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change state through the services (the withdraw action, the
    daily completion), never by editing a row."""

    list_display = [
        "id",
        "customer",
        "subscription",
        "kind",
        "effective_on",
        "reason",
        "status",
        "requested_at",
    ]
    list_filter = ["status", "reason", "subscription__plan__kind", "effective_on"]
    search_fields = [
        "customer__name",
        "customer__user__email",
        "subscription__msisdn",
        "subscription__line_id",
    ]
    date_hierarchy = "effective_on"
    list_select_related = ["customer__user", "subscription__plan"]
    readonly_fields = [
        "customer",
        "subscription",
        "effective_on",
        "reason",
        "comments",
        "status",
        "requested_at",
        "completed_at",
        "withdrawn_at",
    ]
    actions = ["withdraw"]

    @admin.display(description=_("kind"), ordering="subscription__plan__kind")
    def kind(self, cancellation: CancellationRequest) -> str:
        return cancellation.subscription.plan.get_kind_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Withdraw the selected cancellations (the services stay active)"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        withdrawn = 0
        for cancellation_id in queryset.values_list("id", flat=True):
            try:
                cancellation = services.withdraw_cancellation(
                    cancellation_request_id=cancellation_id
                )
            except ApplicationError as error:
                self.message_user(request, f"#{cancellation_id}: {error.message}", messages.ERROR)
                continue
            self.log_change(request, cancellation, [{"changed": {"fields": ["status"]}}])
            withdrawn += 1
        if withdrawn:
            self.message_user(
                request,
                ngettext(
                    "%(count)d cancellation withdrawn.",
                    "%(count)d cancellations withdrawn.",
                    withdrawn,
                )
                % {"count": withdrawn},
                messages.SUCCESS,
            )
