"""The identity gate endpoints answer with the very objects GET /api/me/status shows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ResidenceCardVerification
from accounts.storage import PrivateFileSystemStorage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    storage = PrivateFileSystemStorage(location=tmp_path)
    for name in ("front_image", "back_image"):
        monkeypatch.setattr(ResidenceCardVerification._meta.get_field(name), "storage", storage)


def test_the_eligibility_answer_is_the_status_object_and_the_task_follows(api):
    answer = api.post(
        "/api/me/internet-eligibility",
        {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"},
        format="json",
    )
    status = api.get("/api/me/status").json()
    assert answer.json() == status["internetEligibility"]
    assert "eligibility_pending" in [task["id"] for task in status["tasks"]]


def test_the_residence_card_answer_is_the_status_object(api):
    cards = {
        "front": SimpleUploadedFile("f.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        "back": SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
    }
    answer = api.post("/api/me/residence-card", cards, format="multipart")
    status = api.get("/api/me/status").json()
    assert answer.status_code == 202
    assert answer.json() == status["residenceCardVerification"]
