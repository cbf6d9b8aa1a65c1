"""Speak to a logged-in customer in the language of their profile."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class CustomerLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Browser sessions only; API views activate it once DRF knows the customer.
        user = getattr(request, "user", None)
        customer = getattr(user, "customer", None) if user and user.is_authenticated else None
        if customer is not None:
            translation.activate(customer.language)
            request.LANGUAGE_CODE = customer.language
        return self.get_response(request)
