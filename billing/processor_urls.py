"""The test payment processor's own pages (see billing/hosted.py), under /test-processor/.

They exist only where the test processor may take payments (billing.processor): with DEBUG
off and PAYMENT_PROCESSOR_ALLOW_TEST unset there is no such path.
"""

from django.urls import URLPattern, path

from billing import hosted
from billing.processor import allows_test_processor

urlpatterns: list[URLPattern] = (
    [path("cards", hosted.card_form, name="test-processor-card")] if allows_test_processor() else []
)
