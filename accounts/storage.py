"""File storage for identity documents: on disk, and never under a URL."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that has no URLs (plain FileSystemStorage falls back to MEDIA_URL).

    Files are only streamed by views that check who is asking, such as the staff-only
    residence card view in the admin.
    """

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL: a view that checks access streams them.")
