"""Cache-Control for what is private (API.md "Additions"): a shared cache never keeps an
authenticated API answer or an account page, and a browser revalidates or refetches them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateCacheControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/account/"):
            patch_cache_control(response, private=True, no_store=True)
        elif request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            # DRF sets request.user for Bearer tokens as well as sessions.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                response["Cache-Control"] = "private, no-cache"
        return response
