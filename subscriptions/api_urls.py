"""API routes under /api/."""

from django.urls import path

from subscriptions import api

urlpatterns = [
    path("subscriptions", api.SubscriptionListView.as_view(), name="api-subscriptions"),
    path(
        "subscriptions/<int:subscription_id>",
        api.SubscriptionDetailView.as_view(),
        name="api-subscription",
    ),
    path(
        "subscriptions/<int:subscription_id>/cancellation-options",
        api.CancellationOptionsView.as_view(),
        name="api-subscription-cancellation-options",
    ),
    path(
        "subscriptions/<int:subscription_id>/cancellation",
        api.CancellationCreateView.as_view(),
        name="api-subscription-cancellation",
    ),
]
