from django.urls import path

from accounts import views

urlpatterns = [
    path("language", views.language_view, name="account-language"),
    path("eligibility", views.eligibility_view, name="account-eligibility"),
    path("verification", views.verification_view, name="account-verification"),
]
