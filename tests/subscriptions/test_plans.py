from __future__ import annotations

import pytest

from subscriptions.models import Plan
from subscriptions.plans import PLANS, upsert_plans

pytestmark = pytest.mark.django_db


def test_the_catalog_is_seeded_in_its_order_and_seeding_again_changes_nothing():
    first = upsert_plans()
    again = upsert_plans()
    assert [plan.pk for plan in first.values()] == [plan.pk for plan in again.values()]
    assert list(Plan.objects.order_by("position").values_list("code", flat=True)) == [
        code for code, *_rest in PLANS
    ]
