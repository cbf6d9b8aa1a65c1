from django.urls import path

from verification import api

urlpatterns = [
    path("me/residence-card", api.ResidenceCardUploadView.as_view(), name="api-residence-card"),
]
