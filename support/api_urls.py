"""API routes under /api/."""

from django.urls import path

from support import api

urlpatterns = [
    path("support/requests", api.SupportRequestListView.as_view(), name="api-support-requests"),
]
