"""The order pages under /account/: the list, a new order, and one order with its timeline."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.selectors import get_customer_for_user, get_internet_eligibility
from billing.selectors import get_default_payment_method
from orders import selectors
from orders.forms import PlaceOrderForm
from orders.models import OrderStatus
from orders.services import placing
from portal.api_errors import ApplicationError
from portal.pagination import paginate
from subscriptions.models import Plan, PlanKind

PAGE_SIZE = 20


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    try:
        page = paginate(
            selectors.orders_for_customer(customer=customer),
            order_field="placed_at",
            limit=PAGE_SIZE,
            cursor=request.GET.get("cursor"),
        )
    except ApplicationError:
        # A mangled "older orders" link: start again from the newest.
        return redirect("order-list")
    return render(
        request,
        "orders/list.html",
        {"orders": page.items, "next_cursor": page.next_cursor, "paged": "cursor" in request.GET},
    )


@dataclass
class KindSection:
    kind: str
    title: str | Promise
    plans: list[Plan]
    gate: placing.OrderGate | None
    form: PlaceOrderForm


_KIND_TITLES = {PlanKind.INTERNET: gettext_lazy("Internet"), PlanKind.SIM: gettext_lazy("SIM")}


@login_required
def new_order(request: HttpRequest) -> HttpResponse:
    """Choose a plan (step 1), review what it costs and who pays (step 2), place it.

    Every step posts the whole choice, like the cancellation pages: nothing is kept between
    steps, so the review works without JavaScript and a reload never places an order. Only
    `step=confirm`, the review's button, places one; anything else shows the review.
    """
    customer = get_customer_for_user(user=request.user)
    posted_kind = request.POST.get("kind") if request.method == "POST" else None
    eligibility = get_internet_eligibility(customer=customer)
    sections = []
    for kind in (PlanKind.INTERNET, PlanKind.SIM):
        plans = selectors.list_active_plans(kind=kind)
        form = PlaceOrderForm(
            request.POST if posted_kind == kind else None,
            kind=kind,
            plans=plans,
            language=customer.language,
            initial={"installation_address": eligibility.address},
            prefix=kind,
        )
        gate = placing.get_order_gate(customer=customer, kind=kind)
        sections.append(KindSection(kind, _KIND_TITLES[kind], plans, gate, form))

    submitted = next((s for s in sections if s.kind == posted_kind), None)
    if request.method == "POST" and submitted is None:
        messages.error(request, _("Choose a plan to order."))
        return redirect("order-new")
    step = request.POST.get("step", "review")
    if submitted is not None and step != "edit" and submitted.form.is_valid():
        data = submitted.form.cleaned_data
        if step != "confirm":
            if submitted.gate is not None:
                submitted.form.add_error(None, submitted.gate.message)
            else:
                plan = next(p for p in submitted.plans if p.code == data["plan"])
                return render(
                    request,
                    "orders/review.html",
                    {
                        "section": submitted,
                        "plan": plan,
                        "installation_address": data.get("installation_address", ""),
                        "eligibility": eligibility,
                        "payment_method": get_default_payment_method(customer=customer),
                    },
                )
        else:
            try:
                order = placing.place_order(
                    customer=customer,
                    plan_code=data["plan"],
                    installation_address=data.get("installation_address", ""),
                )
            except ApplicationError as error:
                open_order = selectors.get_open_order(customer=customer, kind=submitted.kind)
                in_progress = ("order_already_in_progress", "internet_already_active")
                if error.code in in_progress and open_order is not None:
                    # Most often the second click of a double submit: show the order it placed.
                    messages.info(request, placing.in_progress_gate(open_order).message)
                    return redirect("order-detail", order_id=open_order.pk)
                submitted.form.add_service_error(error.fields, error.message)
            else:
                messages.success(
                    request,
                    _("Thank you. We received order %(number)s and will review it shortly.")
                    % {"number": order.number},
                )
                return redirect("order-detail", order_id=order.pk)
    return render(request, "orders/new.html", {"sections": sections, "eligibility": eligibility})


@login_required
@vary_on_headers("HX-Request")
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    order = selectors.get_order_for_customer(customer=customer, order_id=order_id)
    context = {
        "order": order,
        "timeline": selectors.get_order_timeline(order),
        "schedule": selectors.get_order_schedule(order),
        # Fulfillment takes moments once approved: the page follows it without a reload.
        "follow": order.status in (OrderStatus.APPROVED, OrderStatus.PROVISIONING),
    }
    if getattr(request, "htmx", False):
        return render(request, "orders/_progress.html", context)
    return render(request, "orders/detail.html", context)


# The confirmation's button sends this; a POST without it only asks (a form from an old page,
# a double click on the order page's link), so nothing is cancelled in one click.
CONFIRM_FIELD = "confirm"


@login_required
@require_http_methods(["GET", "POST"])
def cancel_order(request: HttpRequest, order_id: int) -> HttpResponse:
    """GET asks "Cancel order ...?" with a POST form; only that form's POST cancels."""
    customer = get_customer_for_user(user=request.user)
    order = selectors.get_order_for_customer(customer=customer, order_id=order_id)
    if request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes":
        try:
            order = placing.cancel_order(customer=customer, order_id=order_id)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Order %(number)s is cancelled.") % {"number": order.number}
            )
        return redirect("order-detail", order_id=order_id)
    if order.status != OrderStatus.PENDING_REVIEW:
        # Nothing to ask about (already cancelled, or being set up): the order says where it is.
        return redirect("order-detail", order_id=order_id)
    return render(request, "orders/cancel_confirm.html", {"order": order})
