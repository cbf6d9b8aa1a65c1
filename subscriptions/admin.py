"""Support staff screens for the catalog, services and cancellations."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from portal.api_errors import ApplicationError
from staff.adminkit import ReadOnlyInline, ServiceOwnedAdmin
from subscriptions import services
from subscriptions.models import CancellationRequest, Plan, Subscription, Suspension


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "name", "monthly_price", "active", "position"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


class CancellationRequestInline(ReadOnlyInline):
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
    show_change_link = True


class SuspensionInline(ReadOnlyInline):
    model = Suspension
    readonly_fields = ("reason", "source", "started_at", "ended_at")
    fields = readonly_fields


@admin.register(Subscription)
class SubscriptionAdmin(ServiceOwnedAdmin):
    list_display = ["id", "customer", "plan", "status", "activated_at", "msisdn", "line_id"]
    list_filter = ["status", "plan__kind"]
    search_fields = ["customer__name", "customer__user__email", "msisdn", "iccid", "line_id"]
    list_select_related = ["customer", "plan"]
    inlines = [SuspensionInline, CancellationRequestInline]


@admin.register(CancellationRequest)
class CancellationRequestAdmin(ServiceOwnedAdmin):
    """Read-only: requests change state through the services (withdraw or complete, from
    the list or the request's page, and the daily completion), never by editing a row."""

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
    actions = ["withdraw", "complete"]

    @admin.display(description=_("kind"), ordering="subscription__plan__kind")
    def kind(self, cancellation: CancellationRequest) -> str:
        return cancellation.subscription.plan.get_kind_display()

    def get_urls(self) -> list[URLPattern]:
        def view(name: str, function: Callable[..., HttpResponse]) -> URLPattern:
            return path(
                f"<int:cancellation_id>/{name}/",
                self.admin_site.admin_view(require_POST(function)),
                name=f"subscriptions_cancellationrequest_{name}",
            )

        return [
            view("withdraw", self.withdraw_view),
            view("complete", self.complete_view),
            *super().get_urls(),
        ]

    def _back(self, cancellation_id: int) -> HttpResponse:
        url = reverse("admin:subscriptions_cancellationrequest_change", args=[cancellation_id])
        return HttpResponseRedirect(url)

    def withdraw_view(self, request: HttpRequest, cancellation_id: int) -> HttpResponse:
        self.check_can_act(request)
        get_object_or_404(CancellationRequest, pk=cancellation_id)
        try:
            services.withdraw_cancellation(
                cancellation_request_id=cancellation_id,
                actor=request.user,  # type: ignore[arg-type]
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.WARNING)
        else:
            self.message_user(request, "Cancellation withdrawn; the service stays active.")
        return self._back(cancellation_id)

    def complete_view(self, request: HttpRequest, cancellation_id: int) -> HttpResponse:
        self.check_can_act(request)
        get_object_or_404(CancellationRequest, pk=cancellation_id)
        self._complete(request, [cancellation_id])
        return self._back(cancellation_id)

    def _complete(self, request: HttpRequest, ids: list[int]) -> None:
        now = timezone.now()
        for cancellation_id in ids:
            done = services.complete_cancellation(
                cancellation_request_id=cancellation_id,
                actor=request.user,  # type: ignore[arg-type]
                now=now,
            )
            if done:
                self.message_user(request, f"#{cancellation_id}: completed; the service ended.")
            else:
                self.message_user(
                    request,
                    f"#{cancellation_id}: nothing to complete (not scheduled, or its last day "
                    "has not passed yet).",
                    messages.WARNING,
                )

    @admin.action(
        description=_("Complete the selected cancellations whose last day has passed"),
        permissions=["change"],
    )
    def complete(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        self._complete(request, list(queryset.order_by("id").values_list("id", flat=True)))

    @admin.action(
        description=_("Withdraw the selected cancellations (the services stay active)"),
        permissions=["change"],
    )
    def withdraw(self, request: HttpRequest, queryset: QuerySet[CancellationRequest]) -> None:
        withdrawn = 0
        for cancellation_id in queryset.values_list("id", flat=True):
            try:
                services.withdraw_cancellation(
                    cancellation_request_id=cancellation_id,
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ApplicationError as error:
                self.message_user(request, f"#{cancellation_id}: {error.message}", messages.ERROR)
                continue
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
