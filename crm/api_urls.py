from django.urls import path

from crm import api

urlpatterns = [
    path(
        "integrations/salesforce/events",
        api.SalesforceEventView.as_view(),
        name="api-salesforce-events",
    ),
]
