"""Fixtures for the security tests: private storage for uploads, the webhook secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import ResidenceCardVerification
from accounts.storage import PrivateFileSystemStorage


@pytest.fixture(autouse=True)
def private_storage(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Residence cards uploaded by these tests go to a temporary private folder."""
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    storage = PrivateFileSystemStorage(location=root)
    for name in ("front_image", "back_image"):
        monkeypatch.setattr(ResidenceCardVerification._meta.get_field(name), "storage", storage)
    yield root
