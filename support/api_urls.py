"""API routes under /api/."""

from django.urls import path

from support import api

urlpatterns = [
    path("support/requests", api.SupportRequestListView.as_view(), name="api-support-requests"),
    path(
        "support/requests/<int:request_id>",
        api.SupportRequestDetailView.as_view(),
        name="api-support-request",
    ),
    path(
        "support/requests/<int:request_id>/messages",
        api.SupportMessageListView.as_view(),
        name="api-support-request-messages",
    ),
    path(
        "support/requests/<int:request_id>/close",
        api.SupportRequestCloseView.as_view(),
        name="api-support-request-close",
    ),
]
