"""support@demo.example, a member of the support group, does the four demo tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Customer, EligibilityStatus, VerificationStatus
from dashboard.demo import DEMO_PASSWORD, SUPPORT_EMAIL, load_demo_data
from notifications.models import Announcement, AnnouncementStatus
from orders.models import Order, OrderStatus
from staff.models import StaffAction

pytestmark = pytest.mark.django_db


def test_the_support_persona_does_the_four_demo_tasks(
    client: Client, django_capture_on_commit_callbacks
):
    load_demo_data()
    assert client.login(email=SUPPORT_EMAIL, password=DEMO_PASSWORD)
    home = client.get("/admin/").content.decode()
    assert "Orders to review (1)" in home

    order = Order.objects.get(
        customer__user__email="ordering@demo.example", status="pending_review"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/orders/order/{order.pk}/approve/")
    order.refresh_from_db()
    assert order.status != OrderStatus.PENDING_REVIEW

    rejected = Customer.objects.get(user__email="rejected@demo.example")
    expires = timezone.localdate() + timedelta(days=365)
    client.post(
        f"/admin/accounts/residencecardverification/{rejected.residence_card_verification.pk}/review/",
        {"status": "verified", "card_expires_on": expires.isoformat()},
    )
    client.post(
        f"/admin/accounts/interneteligibility/{rejected.internet_eligibility.pk}/result/",
        {"status": "eligible", "notes": "Fiber reaches the building.", "notes_ja": "光回線あり。"},
    )
    rejected.residence_card_verification.refresh_from_db()
    rejected.internet_eligibility.refresh_from_db()
    assert rejected.residence_card_verification.status == VerificationStatus.VERIFIED
    assert rejected.internet_eligibility.status == EligibilityStatus.ELIGIBLE

    client.post(
        "/admin/notifications/announcement/add/",
        {
            "title": "New plans",
            "message": "Faster fiber is here.",
            "title_ja": "新しいプランのご案内",
            "message_ja": "より速い光回線をご用意しました。",
            "audience": "all",
        },
    )
    announcement = Announcement.objects.get()
    preview = client.get(f"/admin/notifications/announcement/{announcement.pk}/send/")
    count = preview.context["preview"].recipient_count
    assert count == 4
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/notifications/announcement/{announcement.pk}/send/",
            {"send_now": "1", "expected_count": str(count)},
        )
    announcement.refresh_from_db()
    assert announcement.status == AnnouncementStatus.SENT

    assert sorted(StaffAction.objects.values_list("action", flat=True)) == [
        "announcement_queued",
        "card_verified",
        "eligibility_set",
        "order_approved",
    ]
    assert set(StaffAction.objects.values_list("actor__email", flat=True)) == {SUPPORT_EMAIL}
