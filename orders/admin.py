"""Support staff screens for orders: review (approve or reject) and following fulfillment.

Orders are read-only here: every change goes through a service, from an action on the
list (one or many orders) or a button on the order's page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from orders.models import Order
from orders.services.review import approve_order, reject_order, resume_fulfillment
from portal.api_errors import ApplicationError
from staff.adminkit import ServiceOwnedAdmin

_FIELDS = (
    "number",
    "external_id",
    "customer",
    "plan",
    "kind",
    "status",
    "installation_address",
    "failure_reason",
    "placed_at",
    "approved_at",
    "provisioning_at",
    "provisioning_attempts",
    "awaiting_operator",
    "activated_at",
    "failed_at",
    "cancelled_at",
    "subscription",
)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason, in English",
        help_text="The customer reads this in the order's page and notification.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "lang": "en"}),
        max_length=500,
    )
    reason_ja = forms.CharField(
        label="Reason, in Japanese",
        help_text="The same reason in Japanese, for customers who read the portal in Japanese.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "lang": "ja"}),
        max_length=500,
    )


@admin.register(Order)
class OrderAdmin(ServiceOwnedAdmin):
    list_display = ["number", "customer", "plan", "status", "placed_at", "activated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["number", "external_id", "customer__name", "customer__user__email"]
    list_select_related = ["customer", "plan"]
    raw_id_fields = ["customer", "subscription"]
    date_hierarchy = "placed_at"
    actions = ["approve_selected", "reject_selected", "resume_fulfillment_selected"]
    fields = _FIELDS
    readonly_fields = _FIELDS

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Order | None = None,
    ) -> HttpResponse:
        context.update(show_save=False, show_save_and_continue=False)
        context.update(show_save_and_add_another=False, show_delete=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        def view(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(function)

        return [
            path(
                "<int:order_id>/approve/",
                view(require_POST(self.approve_view)),
                name="orders_order_approve",
            ),
            path("<int:order_id>/reject/", view(self.reject_view), name="orders_order_reject"),
            path(
                "<int:order_id>/resume/",
                view(require_POST(self.resume_view)),
                name="orders_order_resume",
            ),
            *super().get_urls(),
        ]

    # --- One order, from its page ----------------------------------------------------------

    def _change_url(self, order_id: int) -> str:
        return reverse("admin:orders_order_change", args=[order_id])

    def _check_change_permission(self, request: HttpRequest, order: Order) -> None:
        if not self.can_act(request):
            raise PermissionDenied

    def approve_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=order_id)
        self._check_change_permission(request, order)
        try:
            approve_order(order_id=order.pk, actor=request.user)  # type: ignore[arg-type]
        except ApplicationError as error:
            self.message_user(request, error.message, messages.WARNING)
        else:
            self.message_user(
                request, f"{order.number} approved; fulfillment has started.", messages.SUCCESS
            )
        return HttpResponseRedirect(self._change_url(order.pk))

    def reject_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = get_object_or_404(Order.objects.select_related("customer", "plan"), pk=order_id)
        self._check_change_permission(request, order)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                reject_order(
                    order_id=order.pk,
                    reason=form.cleaned_data["reason"],
                    reason_ja=form.cleaned_data["reason_ja"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, f"{order.number} rejected.", messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(order.pk))
        return self._reject_page(request, [order], form, action=None)

    def resume_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        order = get_object_or_404(Order, pk=order_id)
        self._check_change_permission(request, order)
        try:
            resume_fulfillment(order_id=order.pk, actor=request.user)  # type: ignore[arg-type]
        except ApplicationError as error:
            self.message_user(request, error.message, messages.WARNING)
        else:
            self.message_user(request, f"{order.number}: fulfillment resumed.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(order.pk))

    def _reject_page(
        self, request: HttpRequest, orders: list[Order], form: RejectForm, *, action: str | None
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/orders/order/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reject orders" if len(orders) > 1 else f"Reject {orders[0].number}",
                "opts": self.model._meta,
                "orders": orders,
                "form": form,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    # --- Many orders, from the list --------------------------------------------------------

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Order],
        service: Callable[[Order], object],
        done: str,
    ) -> None:
        succeeded: list[str] = []
        for order in queryset.order_by("placed_at", "pk"):
            try:
                service(order)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                succeeded.append(order.number)
        if succeeded:
            self.message_user(request, f"{done}: {', '.join(succeeded)}.", messages.SUCCESS)

    @admin.action(description="Approve selected orders", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._each(
            request,
            queryset,
            lambda order: approve_order(order_id=order.pk, actor=request.user),  # type: ignore[arg-type]
            "Approved, fulfillment has started",
        )

    @admin.action(description="Reject selected orders…", permissions=["change"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason, reason_ja = form.cleaned_data["reason"], form.cleaned_data["reason_ja"]
            self._each(
                request,
                queryset,
                lambda order: reject_order(
                    order_id=order.pk,
                    reason=reason,
                    reason_ja=reason_ja,
                    actor=request.user,  # type: ignore[arg-type]
                ),
                "Rejected",
            )
            return None
        orders = list(queryset.select_related("customer", "plan"))
        return self._reject_page(request, orders, form, action="reject_selected")

    @admin.action(description="Resume fulfillment of selected orders", permissions=["change"])
    def resume_fulfillment_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._each(
            request,
            queryset,
            lambda order: resume_fulfillment(order_id=order.pk, actor=request.user),  # type: ignore[arg-type]
            "Fulfillment resumed",
        )
