"""Support sees and reviews residence cards in the admin; nobody else can fetch them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from accounts.models import VerificationStatus
from accounts.storage import PrivateFileSystemStorage
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


# --- Residence card files: staff only ---


def test_staff_see_both_sides_of_an_uploaded_card(staff_client, submitted):
    front = staff_client.get(_image_url(submitted, "front"))
    assert front.status_code == 200
    assert front["Content-Type"] == "image/jpeg"
    assert {"private", "no-store"} <= set(front["Cache-Control"].replace(" ", "").split(","))
    assert b"".join(front.streaming_content) == JPEG
    back = staff_client.get(_image_url(submitted, "back"))
    assert back["Content-Type"] == "application/pdf"
    assert b"".join(back.streaming_content) == PDF


def test_an_anonymous_request_cannot_fetch_an_uploaded_card(client, submitted):
    response = client.get(_image_url(submitted, "front"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_customer_cannot_fetch_even_their_own_card(browser_client, submitted):
    response = browser_client.get(_image_url(submitted, "front"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_another_customer_cannot_fetch_a_card(client, other_customer, submitted):
    client.force_login(other_customer.user)
    assert client.get(_image_url(submitted, "back")).status_code == 302


def test_the_files_have_no_public_url(client, submitted):
    with pytest.raises(ValueError):
        submitted.front_image.url  # noqa: B018
    assert client.get(f"/media/{submitted.front_image.name}").status_code == 404
    assert client.get(f"/static/{submitted.front_image.name}").status_code == 404


def test_the_configured_private_storage_has_no_url_and_lives_outside_public_folders(settings):
    storage = storages.create_storage(settings.STORAGES["private"])
    assert isinstance(storage, PrivateFileSystemStorage)
    location = str(storage.location)
    assert not location.startswith(str(settings.MEDIA_ROOT))
    assert not location.startswith(str(settings.STATIC_ROOT))
    with pytest.raises(ValueError):
        storage.url("residence-cards/1/abc")


def test_a_side_that_was_never_uploaded_or_does_not_exist_is_a_404(staff_client, customer):
    verification = customer.residence_card_verification
    assert staff_client.get(_image_url(verification, "front")).status_code == 404
    assert staff_client.get(_image_url(verification, "inside")).status_code == 404


# --- Reviewing a residence card ---


def test_the_review_page_shows_both_sides_through_the_staff_view(staff_client, submitted):
    response = staff_client.get(_review_url(submitted))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="{_image_url(submitted, "front")}"' in html
    assert f'href="{_image_url(submitted, "back")}"' in html  # the PDF side is a link


def test_verifying_needs_the_card_expiry_date(staff_client, submitted):
    response = staff_client.post(_review_url(submitted), {"status": "verified"})
    assert response.status_code == 200
    assert "card_expires_on" in response.context["form"].errors
    submitted.refresh_from_db()
    assert submitted.status == VerificationStatus.PENDING


def test_staff_verify_a_card_through_the_service(staff_client, staff_user, submitted, customer):
    expires = timezone.localdate() + timedelta(days=700)
    response = staff_client.post(
        _review_url(submitted), {"status": "verified", "card_expires_on": expires.isoformat()}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == VerificationStatus.VERIFIED
    assert submitted.card_expires_on == expires
    assert submitted.reviewed_by == staff_user
    assert (
        Notification.objects.filter(user=customer.user, type="VERIFICATION_VERIFIED").count() == 1
    )


def test_an_expired_card_is_refused_on_the_form(staff_client, submitted):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = staff_client.post(
        _review_url(submitted), {"status": "verified", "card_expires_on": yesterday.isoformat()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["card_expires_on"] == [
        "This card has expired, so it cannot be verified."
    ]


def test_staff_reject_a_card_with_a_reason(staff_client, submitted, customer):
    assert staff_client.post(_review_url(submitted), {"status": "rejected"}).status_code == 200
    response = staff_client.post(
        _review_url(submitted),
        {
            "status": "rejected",
            "rejection_reason": "Too dark to read.",
            "rejection_reason_ja": "写真が暗くて読み取れません。",
        },
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == VerificationStatus.REJECTED
    assert submitted.rejection_reason == "Too dark to read."
    assert submitted.rejection_reason_ja == "写真が暗くて読み取れません。"
    notification = Notification.objects.get(user=customer.user, type="VERIFICATION_REJECTED")
    assert "Too dark to read." in notification.rendered("en").message
    assert "写真が暗くて読み取れません。" in notification.rendered("ja").message


def test_the_review_form_asks_for_the_reason_in_both_languages(staff_client, submitted):
    response = staff_client.post(
        _review_url(submitted), {"status": "rejected", "rejection_reason": "Too dark to read."}
    )
    assert response.status_code == 200
    assert "rejection_reason_ja" in response.context["form"].errors
    page = staff_client.get(_review_url(submitted)).content.decode()
    assert 'name="rejection_reason_ja"' in page and 'lang="ja"' in page
    submitted.refresh_from_db()
    assert submitted.status == VerificationStatus.PENDING


def test_customers_cannot_open_the_review_page(browser_client, submitted):
    response = browser_client.post(_review_url(submitted), {"status": "rejected"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == VerificationStatus.PENDING


def test_the_card_list_and_its_read_only_page_render(staff_client, submitted):
    assert staff_client.get("/admin/accounts/residencecardverification/").status_code == 200
    page = staff_client.get(f"/admin/accounts/residencecardverification/{submitted.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
