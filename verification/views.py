"""The verification page: the customer uploads both sides of their residence card."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import VerificationStatus
from accounts.selectors import get_customer_for_user, get_residence_card_verification
from portal.api_errors import ApplicationError
from portal.forms import show_error
from verification.forms import ResidenceCardForm
from verification.services.review import submit_residence_card


@login_required
@require_http_methods(["GET", "POST"])
def verification_view(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    verification = get_residence_card_verification(customer=customer)
    if request.method == "POST":
        form = ResidenceCardForm(request.POST, request.FILES)
    else:
        form = ResidenceCardForm()
    if request.method == "POST" and form.is_valid():
        try:
            submit_residence_card(
                customer=customer,
                front=form.cleaned_data["front"],
                back=form.cleaned_data["back"],
                now=timezone.now(),
            )
        except ApplicationError as error:
            show_error(form, error)
            verification = get_residence_card_verification(customer=customer)
        else:
            messages.success(
                request, _("Thank you. We are reviewing your residence card and will let you know.")
            )
            return redirect("account-verification")
    return render(
        request,
        "verification/verification.html",
        {
            "verification": verification,
            "tone": VerificationStatus(verification.status).tone,
            "form": form,
        },
    )
