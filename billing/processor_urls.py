"""The test payment processor's own pages (see billing/hosted.py), under /test-processor/."""

from django.urls import path

from billing import hosted

urlpatterns = [
    path("cards", hosted.card_form, name="test-processor-card"),
]
