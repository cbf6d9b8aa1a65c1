"""The eligibility page: the customer asks whether our internet reaches an address."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import EligibilityStatus
from accounts.selectors import get_customer_for_user, get_internet_eligibility
from eligibility.forms import InternetEligibilityForm
from eligibility.services import request_internet_eligibility
from portal.api_errors import ApplicationError
from portal.forms import show_error


@login_required
@require_http_methods(["GET", "POST"])
def eligibility_view(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    eligibility = get_internet_eligibility(customer=customer)
    if request.method == "POST":
        form = InternetEligibilityForm(request.POST)
    else:
        form = InternetEligibilityForm(
            initial={"postal_code": eligibility.postal_code, "address": eligibility.address}
        )
    if request.method == "POST" and form.is_valid():
        try:
            request_internet_eligibility(
                customer=customer,
                postal_code=form.cleaned_data["postal_code"],
                address=form.cleaned_data["address"],
                now=timezone.now(),
            )
        except ApplicationError as error:
            show_error(form, error, {"postalCode": "postal_code"})
            eligibility = get_internet_eligibility(customer=customer)  # as the service saw it
        else:
            messages.success(
                request, _("Thank you. We are checking your address and will let you know.")
            )
            return redirect("account-eligibility")
    return render(
        request,
        "eligibility/eligibility.html",
        {
            "eligibility": eligibility,
            "tone": EligibilityStatus(eligibility.status).tone,
            "form": form,
        },
    )
