from django.urls import path

from eligibility import api

urlpatterns = [
    path(
        "me/internet-eligibility",
        api.InternetEligibilityRequestView.as_view(),
        name="api-internet-eligibility",
    ),
]
