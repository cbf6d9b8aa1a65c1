from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token", api.TokenObtainView.as_view(), name="api-token"),
    path("auth/token/refresh", api.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/logout", api.LogoutView.as_view(), name="api-logout"),
    path("me", api.MeView.as_view(), name="api-me"),
    path("me/password", api.PasswordView.as_view(), name="api-me-password"),
]
