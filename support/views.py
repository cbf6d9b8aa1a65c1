"""The support pages: ask for help, and each request's thread to answer or close."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError
from support import selectors, services
from support.forms import SupportMessageForm, SupportRequestForm

PAGE_SIZE = 20


@login_required
@require_http_methods(["GET", "POST"])
def support_home(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    form = SupportRequestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            created = services.create_support_request(
                customer=customer,
                topic=form.cleaned_data["topic"],
                message=form.cleaned_data["message"],
            )
        except ApplicationError as error:
            for field, errors in (error.fields or {}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if created.created:
                messages.success(
                    request,
                    _("Thank you. We received your message. Our reply will appear on this page."),
                )
            else:
                messages.info(request, _("We already received this message."))
            return redirect("support-request", created.support_request.pk)
    try:
        page = selectors.list_support_requests(
            customer=customer, limit=PAGE_SIZE, cursor=request.GET.get("cursor")
        )
    except ApplicationError:
        return redirect("support")
    return render(
        request,
        "support/index.html",
        {"form": form, "requests": page.items, "next_cursor": page.next_cursor},
    )


@login_required
@require_http_methods(["GET", "POST"])
def support_request_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The thread, oldest message first, with a reply form; another customer's is a 404."""
    customer = get_customer_for_user(user=request.user)
    support_request = selectors.get_support_request_for_customer(
        customer=customer, support_request_id=request_id
    )
    form = SupportMessageForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.post_customer_message(
                customer=customer,
                support_request_id=support_request.pk,
                body=form.cleaned_data["body"],
            )
        except ApplicationError as error:
            for message in (error.fields or {}).get("body", [error.message]):
                form.add_error("body", message)
        else:
            messages.success(request, _("Your message was sent. We will reply here."))
            return redirect("support-request", support_request.pk)
    return render(
        request,
        "support/request.html",
        {
            "support_request": support_request,
            "thread": [
                (message, selectors.author_name(message))
                for message in support_request.messages.all()
            ],
            "form": form,
            "can_write": selectors.customer_can_write(support_request=support_request),
        },
    )


@login_required
@require_POST
def support_request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    services.close_support_request(support_request_id=request_id, customer=customer)
    messages.success(request, _("Your request is closed. Write on it within 30 days to reopen it."))
    return redirect("support-request", request_id)
