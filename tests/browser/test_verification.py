from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import ResidenceCardVerification
from accounts.storage import PrivateFileSystemStorage
from tests.browser.conftest import log_in, main_nav, screenshot

EMAIL = "rejected@demo.example"
# The smallest well-formed JPEG: one grey pixel.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////"
    "////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/a"
    "AAgBAQABPxA="
)


def tiny_png() -> bytes:
    """A valid 1x1 white PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def private_storage(tmp_path, settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The uploads land in a temporary private folder, never in the project's."""
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    storage = PrivateFileSystemStorage(location=root)
    for name in ("front_image", "back_image"):
        monkeypatch.setattr(ResidenceCardVerification._meta.get_field(name), "storage", storage)
    return root


def test_the_rejected_customer_uploads_their_residence_card_again(page, tmp_path: Path):
    front = tmp_path / "front.png"
    front.write_bytes(tiny_png())
    back = tmp_path / "back.jpg"
    back.write_bytes(TINY_JPEG)

    log_in(page, EMAIL)
    task = page.locator("[data-task-type=idv_rejected]")
    task.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/account/verification$"))
    expect(page.get_by_role("alert")).to_contain_text("The photo of the back side is unreadable.")

    # One side only: the form says which field needs a file, next to that field.
    page.get_by_label("Front side").set_input_files(str(front))
    page.get_by_role("button", name="Send for review").click()
    back_field = page.get_by_label("Back side")
    expect(back_field).to_have_attribute("aria-invalid", "true")
    error_id = back_field.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_contain_text(
        "Choose a photo or scan of the back of your card."
    )
    screenshot(page, "verification-missing-side")

    page.get_by_label("Front side").set_input_files(str(front))
    page.get_by_label("Back side").set_input_files(str(back))
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("status")).to_contain_text("We are reviewing your residence card")
    expect(page.get_by_text("Under review")).to_be_visible()
    screenshot(page, "verification-sent")

    verification = ResidenceCardVerification.objects.get(customer__user__email=EMAIL)
    assert verification.status == "pending"
    main_nav(page).get_by_role("link", name="Dashboard").click()
    expect(page.locator("[data-task-type=idv_rejected]")).to_have_count(0)
