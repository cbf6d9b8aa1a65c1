"""Page routes under /account/."""

from django.urls import path

from orders import views

urlpatterns = [
    path("orders", views.order_list, name="order-list"),
    path("orders/new", views.new_order, name="order-new"),
    path("orders/<int:order_id>", views.order_detail, name="order-detail"),
    path("orders/<int:order_id>/cancel", views.cancel_order, name="order-cancel"),
]
