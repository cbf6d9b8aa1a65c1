"""Page routes under /account/."""

from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/parts", views.dashboard_parts, name="dashboard-parts"),
]
