"""Fixtures for the identity gates: private storage for residence card files."""

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
    """Residence card files go to a temporary private folder in every test here."""
    root = tmp_path / "private-media"
    settings.PRIVATE_MEDIA_ROOT = root
    storage = PrivateFileSystemStorage(location=root)
    for name in ("front_image", "back_image"):
        monkeypatch.setattr(ResidenceCardVerification._meta.get_field(name), "storage", storage)
    yield root
