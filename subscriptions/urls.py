"""Page routes under /account/."""

from django.urls import path

from subscriptions import views

urlpatterns = [
    path("services", views.service_list, name="services"),
    path("services/<int:subscription_id>", views.service_detail, name="service"),
    path("services/<int:subscription_id>/cancel", views.cancel_service, name="service-cancel"),
    path(
        "services/<int:subscription_id>/withdraw-cancellation",
        views.withdraw_cancellation,
        name="service-withdraw-cancellation",
    ),
]
