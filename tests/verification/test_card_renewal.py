"""A verified residence card that expires within 60 days (Tokyo) can be replaced by the
renewed one: the reminder's and the dashboard task's link leads to an upload form."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import VerificationStatus
from portal.api_errors import ApplicationError
from tests.accounts.support import JPEG, PNG, upload
from verification.services.review import submit_residence_card

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
EXPIRES = date(2027, 1, 31)


def verified(customer, expires_on=EXPIRES):
    verification = customer.residence_card_verification
    verification.status = VerificationStatus.VERIFIED
    verification.card_expires_on = expires_on
    verification.save()
    return verification


def submit(customer, now):
    return submit_residence_card(
        customer=customer,
        front=upload("front.jpg", JPEG),
        back=upload("back.png", PNG, "image/png"),
        now=now,
    )


def test_a_card_far_from_its_expiry_cannot_be_replaced(customer):
    verified(customer)
    now = datetime(2026, 12, 1, 23, 59, tzinfo=TOKYO)  # 61 days before, in Tokyo
    with pytest.raises(ApplicationError) as refused:
        submit(customer, now)
    assert refused.value.code == "residence_card_already_verified"


def test_from_60_days_before_the_renewed_card_goes_for_review(customer):
    verified(customer)
    now = datetime(2026, 12, 2, 0, 0, tzinfo=TOKYO)  # 60 days before
    verification = submit(customer, now)
    assert verification.status == VerificationStatus.PENDING
    assert verification.card_expires_on is None


def test_the_verification_page_offers_the_upload_near_the_expiry(browser_client, customer):
    from portal.dates import tokyo_today

    today = tokyo_today()
    for days_left, offered in ((61, False), (60, True), (0, True), (-30, True)):
        verified(customer, expires_on=today + timedelta(days=days_left))
        page = browser_client.get("/account/verification").content.decode()
        assert ("Upload your renewed residence card" in page) is offered, days_left
