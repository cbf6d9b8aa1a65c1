"""Uploaded files are refused as soon as one passes the size limit, not once all is read."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _


class FileTooLarge(RequestDataTooBig):
    """One file passed the limit. The API answers 400 naming the field (API.md: "wrong type
    or size 400"); a page, like any request Django cannot read, answers 400."""

    def __init__(self, field_name: str):
        limit_mb = settings.FILE_UPLOAD_MAX_BYTES // (1024 * 1024)
        self.field_name = field_name
        self.message = _(
            "The file is larger than %(limit)d MB. Choose a smaller photo or scan."
        ) % {"limit": limit_mb}
        super().__init__(self.message)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts each file's bytes as they arrive."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, *args: Any, **kwargs: Any
    ) -> None:
        # More than the files allowed could ever add up to: not a byte is read.
        if content_length > settings.UPLOAD_REQUEST_MAX_BYTES:
            raise RequestDataTooBig(_("The request body is too large."))

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            raise FileTooLarge(self.field_name)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
