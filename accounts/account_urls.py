from django.urls import path

from accounts import views

urlpatterns = [
    path("language", views.language_view, name="account-language"),
    path("settings", views.settings_view, name="account-settings"),
    path("settings/profile", views.settings_profile_view, name="account-settings-profile"),
    path("settings/password", views.settings_password_view, name="account-settings-password"),
]
