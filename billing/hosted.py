"""The test payment processor's hosted card form, under /test-processor/.

A real processor serves this page from its own domain (hosted fields, a hosted checkout):
the card number goes from the customer's browser to the processor, which sends the browser
back to the portal with a single-use token and nothing else. The test processor serves the
same flow from this project so that development, demos and tests run without a network:
this module is the processor's side and shares nothing with the portal's pages but the
token it hands back. It exists only where the test processor may take payments
(billing/processor_urls.py), and is a 404 while another processor is in use.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from billing.forms import TestCardForm
from billing.processor import TEST_CARDS, TestPaymentProcessor, get_payment_processor


def _back(return_to: str, **params: str) -> str:
    separator = "&" if "?" in return_to else "?"
    return f"{return_to}{separator}{urlencode(params)}"


@never_cache
@sensitive_post_parameters("number", "expiry", "security_code")
@require_http_methods(["GET", "POST"])
def card_form(request: HttpRequest) -> HttpResponse:
    if not isinstance(get_payment_processor(), TestPaymentProcessor):
        raise Http404("The test processor is not in use.")
    source = request.POST if request.method == "POST" else request.GET
    return_to = source.get("return_to") or reverse("billing-payment-method-add")
    state = source.get("state", "")
    # Like a real processor, it only sends the browser back to the site it works for.
    if (
        not url_has_allowed_host_and_scheme(
            return_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        or len(state) > 100
    ):
        return HttpResponseBadRequest("return_to must be a page of this site.")
    form = TestCardForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        return redirect(_back(return_to, token=form.cleaned_data["token"], state=state))
    return render(
        request,
        "billing/test_processor/card_form.html",
        {
            "form": form,
            "return_to": return_to,
            "state": state,
            "cancel_url": _back(return_to, cancelled="1", state=state),
            "cards": [card for card in TEST_CARDS if card.number],
            "merchant": settings.INVOICE_ISSUER_NAME_JA
            if get_language().startswith("ja")
            else settings.INVOICE_ISSUER_NAME,
        },
    )
