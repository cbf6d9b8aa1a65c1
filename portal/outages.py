"""A database that cannot be reached is a 503, never a 500 (API.md "Third wave"): the API
answers `service_unavailable` in the error shape, a page is the branded 503 page.

Django turns an exception into a response in two places, and both are covered: a view's
exception reaches `DatabaseUnavailableMiddleware.process_exception` (under ASGI the
project's error handler is called in another thread, without the exception), and one raised
by a middleware (the session, the customer's language) reaches `portal.urls.handler500`,
which calls `response_for(request, error)` with the exception it is handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from portal.api_errors import error_body, service_unavailable_message
from portal.retries import DATABASE_ERRORS

logger = logging.getLogger(__name__)


def is_database_outage(error: BaseException | None) -> bool:
    """A lost or refused connection, a restart, a failover: the database, not our code."""
    return isinstance(error, DATABASE_ERRORS)


def response_for(request: HttpRequest, error: BaseException) -> HttpResponse:
    logger.error("Database unavailable for %s %s: %s", request.method, request.path, error)
    if request.path.startswith("/api/"):
        body = error_body("service_unavailable", service_unavailable_message())
        return JsonResponse(body, status=503)
    # As Django's own error pages: no request context, so nothing here needs the database.
    page = loader.get_template("503.html").render({"retry_path": request.get_full_path()})
    return HttpResponse(page, status=503)


class DatabaseUnavailableMiddleware:
    """Last in MIDDLEWARE, so its process_exception is the first a view's exception meets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return response_for(request, exception)
        return None
