from django.urls import path

from accounts import views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    # Visitors who are not logged in choose a language for this browser (a cookie);
    # customers change the one on their profile at /account/language.
    path("language", views.choose_language_view, name="choose-language"),
]
