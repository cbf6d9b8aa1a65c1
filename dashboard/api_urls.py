"""API routes under /api/."""

from django.urls import path

from dashboard import api

urlpatterns = [
    path("me/summary", api.MeSummaryView.as_view(), name="api-me-summary"),
    path("me/status", api.MeStatusView.as_view(), name="api-me-status"),
]
