from django.urls import path
from django.views.i18n import set_language

from accounts import views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    # Visitors who are not logged in choose a language for this browser (a cookie);
    # customers change the one on their profile at /account/language.
    path("language", set_language, name="set-language"),
]
