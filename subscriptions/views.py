"""The /account/services pages: the customer's services, one service, and cancelling it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError
from portal.formats import format_day
from subscriptions import selectors, services
from subscriptions.forms import CancellationForm, ConfirmCancellationForm
from subscriptions.models import CancellationReason, Subscription


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    subscriptions = list(selectors.list_subscriptions_for_customer(customer=customer))
    rows = [
        {"subscription": subscription, "cancellation": selectors.current_cancellation(subscription)}
        for subscription in subscriptions
    ]
    return render(request, "subscriptions/list.html", {"rows": rows})


@login_required
def service_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    subscription = selectors.get_subscription_for_customer(
        customer=customer, subscription_id=subscription_id
    )
    return render(
        request,
        "subscriptions/detail.html",
        {
            "subscription": subscription,
            "cancellation": selectors.current_cancellation(subscription),
            "can_cancel": services.can_request_cancellation(subscription=subscription),
        },
    )


def _render_choose(
    request: HttpRequest, subscription: Subscription, form: CancellationForm
) -> HttpResponse:
    return render(
        request,
        "subscriptions/cancel.html",
        {"subscription": subscription, "form": form},
    )


def _render_review(
    request: HttpRequest, subscription: Subscription, form: ConfirmCancellationForm
) -> HttpResponse:
    choices: Mapping[str, Any] = form.cleaned_data if form.is_bound else form.initial
    return render(
        request,
        "subscriptions/cancel_confirm.html",
        {
            "subscription": subscription,
            "form": form,
            "effective_on": choices["effective_on"],
            "service_end": services.service_end(effective_on=choices["effective_on"]),
            "reason_label": CancellationReason(choices["reason"]).label,
            "comments": choices.get("comments", ""),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel_service(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Choose a date and a reason, review what will happen, confirm: three requests, no JS."""
    customer = get_customer_for_user(user=request.user)
    subscription = selectors.get_subscription_for_customer(
        customer=customer, subscription_id=subscription_id
    )
    try:
        services.ensure_cancellable(subscription=subscription)
    except ApplicationError as error:
        # A second click on "Cancel my service" lands here once the first one has committed.
        messages.info(request, error.message)
        return redirect("service", subscription_id=subscription.pk)

    options = services.cancellation_options(now=timezone.now())
    step = request.POST.get("step")
    if request.method == "GET":
        return _render_choose(request, subscription, CancellationForm(options=options))
    if step == "edit":
        # Back from the review: the same choices again, nothing to complain about yet.
        initial = {name: request.POST.get(name, "") for name in CancellationForm.base_fields}
        return _render_choose(
            request, subscription, CancellationForm(initial=initial, options=options)
        )
    if step != "confirm":
        form = CancellationForm(request.POST, options=options)
        if not form.is_valid():
            return _render_choose(request, subscription, form)
        review = ConfirmCancellationForm(initial=form.cleaned_data, options=options)
        return _render_review(request, subscription, review)

    confirm = ConfirmCancellationForm(request.POST, options=options)
    if not confirm.is_valid():
        if set(confirm.errors) == {"confirm"}:
            return _render_review(request, subscription, confirm)
        # The choices went stale (say the 25th passed while the page was open): choose again.
        return _render_choose(request, subscription, _choices_with_errors(request, options))
    try:
        cancellation = services.request_cancellation(
            customer=customer,
            subscription_id=subscription.pk,
            effective_on=confirm.cleaned_data["effective_on"],
            reason=confirm.cleaned_data["reason"],
            comments=confirm.cleaned_data["comments"],
        )
    except ApplicationError as error:
        if error.fields:
            form = _choices_with_errors(request, options)
            form.add_service_errors(error.fields)
            return _render_choose(request, subscription, form)
        messages.info(request, error.message)
        return redirect("service", subscription_id=subscription.pk)
    messages.success(
        request,
        _("Your cancellation is scheduled. Your last day of service is %(date)s.")
        % {"date": format_day(cancellation.effective_on)},
    )
    return redirect("service", subscription_id=subscription.pk)


def _choices_with_errors(
    request: HttpRequest, options: services.CancellationOptions
) -> CancellationForm:
    form = CancellationForm(request.POST, options=options)
    form.is_valid()
    return form


@login_required
@require_POST
def withdraw_cancellation(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The Withdraw button of the service page: the service continues."""
    customer = get_customer_for_user(user=request.user)
    try:
        services.withdraw_scheduled_cancellation(customer=customer, subscription_id=subscription_id)
    except ApplicationError as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request, _("Your cancellation is withdrawn. The service continues as before.")
        )
    return redirect("service", subscription_id=subscription_id)
