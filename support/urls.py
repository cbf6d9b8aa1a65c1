"""Page routes under /account/."""

from django.urls import path

from support import views

urlpatterns = [
    path("support", views.support_home, name="support"),
    path("support/<int:request_id>", views.support_request_page, name="support-request"),
    path(
        "support/<int:request_id>/close",
        views.support_request_close,
        name="support-request-close",
    ),
]
