"""The support page: ask for help and read the replies."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.selectors import get_customer_for_user
from portal.api_errors import ApplicationError
from support import selectors, services
from support.forms import SupportRequestForm

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
            return redirect("support")
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
