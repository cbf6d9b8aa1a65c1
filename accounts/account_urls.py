from django.urls import path

from accounts import views

urlpatterns = [
    path("language", views.language_view, name="account-language"),
    path("settings", views.settings_view, name="account-settings"),
    path("settings/profile", views.settings_profile_view, name="account-settings-profile"),
    path("settings/password", views.settings_password_view, name="account-settings-password"),
    path("eligibility", views.eligibility_view, name="account-eligibility"),
    path("verification", views.verification_view, name="account-verification"),
]
