"""API routes under /api/."""

from django.urls import path

from orders import api

urlpatterns = [
    path("plans", api.PlanListView.as_view(), name="api-plans"),
    path("orders", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<int:order_id>", api.OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<int:order_id>/cancel", api.OrderCancelView.as_view(), name="api-order-cancel"),
]
