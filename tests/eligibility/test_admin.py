"""Support sets an eligibility result in the admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import EligibilityStatus
from eligibility.services import request_internet_eligibility
from notifications.models import Notification
from tests.accounts.support import JPEG, PDF, upload
from verification.services.review import submit_residence_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def submitted(customer):
    return submit_residence_card(
        customer=customer,
        front=upload("front.jpg", JPEG),
        back=upload("back.pdf", PDF, "application/pdf"),
        now=timezone.now(),
    )


def _image_url(verification, side):
    return f"/admin/accounts/residencecardverification/{verification.pk}/image/{side}/"


def _review_url(verification):
    return f"/admin/accounts/residencecardverification/{verification.pk}/review/"


# --- Eligibility result ---


def test_staff_set_an_eligibility_result_with_notes(staff_client, customer):
    request_internet_eligibility(
        customer=customer, postal_code="150-0002", address="1-2-3 Shibuya", now=timezone.now()
    )
    eligibility = customer.internet_eligibility
    url = f"/admin/accounts/interneteligibility/{eligibility.pk}/result/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"status": "eligible", "notes": "Fiber in the building."})
    assert response.status_code == 200
    assert "notes_ja" in response.context["form"].errors
    response = staff_client.post(
        url,
        {
            "status": "eligible",
            "notes": "Fiber in the building.",
            "notes_ja": "建物内に光回線あり。",
        },
    )
    assert response.status_code == 302
    eligibility.refresh_from_db()
    assert eligibility.status == EligibilityStatus.ELIGIBLE
    assert eligibility.notes == "Fiber in the building."
    assert eligibility.notes_ja == "建物内に光回線あり。"
    assert Notification.objects.filter(user=customer.user, type="ELIGIBILITY_ELIGIBLE").exists()


def test_an_eligibility_result_must_be_eligible_or_ineligible(staff_client, customer):
    url = f"/admin/accounts/interneteligibility/{customer.internet_eligibility.pk}/result/"
    response = staff_client.post(url, {"status": "pending"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors


def test_customers_cannot_set_an_eligibility_result(browser_client, customer):
    url = f"/admin/accounts/interneteligibility/{customer.internet_eligibility.pk}/result/"
    assert browser_client.post(url, {"status": "eligible"}).status_code == 302
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED
