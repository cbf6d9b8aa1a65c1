from django.urls import path

from verification import views

urlpatterns = [
    path("verification", views.verification_view, name="account-verification"),
]
