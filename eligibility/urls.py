from django.urls import path

from eligibility import views

urlpatterns = [
    path("eligibility", views.eligibility_view, name="account-eligibility"),
]
