"""The project's routes: each app brings its own API and page routes."""

from __future__ import annotations

import sys

from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from portal import api_errors, health, outages

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("eligibility.api_urls")),
    path("", include("verification.api_urls")),
    path("", include("dashboard.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("subscriptions.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("support.api_urls")),
    path("", include("crm.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP refuses inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc styles itself with inline <style> tags and searches in a worker it builds from a
    # blob: URL. This page alone allows both; it shows only the public schema.
    path(
        "redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    # Last: any other path under /api/ is a 404 in the error shape, with DEBUG on or off.
    re_path(r"", csrf_exempt(api_errors.json_not_found), name="api-not-found"),
]

account_patterns: list[URLPattern | URLResolver] = [
    path("", include("dashboard.urls")),
    path("", include("notifications.urls")),
    path("", include("orders.urls")),
    path("", include("subscriptions.urls")),
    path("", include("billing.urls")),
    path("", include("accounts.account_urls")),
    path("", include("eligibility.urls")),
    path("", include("verification.urls")),
    path("", include("support.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False)),
    path("", include("accounts.urls")),
    path("account/", include(account_patterns)),
    path("api/", include(api_patterns)),
    # The test payment processor's hosted card form (a real processor serves its own).
    path("test-processor/", include("billing.processor_urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_errors.json_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Exception())


def handler500(request: HttpRequest) -> HttpResponse:
    # Called while the exception is handled (raised by a middleware; a view's exception
    # meets outages.DatabaseUnavailableMiddleware first).
    error = sys.exc_info()[1]
    if outages.is_database_outage(error):
        assert error is not None
        return outages.response_for(request, error)
    if request.path.startswith("/api/"):
        return api_errors.json_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
