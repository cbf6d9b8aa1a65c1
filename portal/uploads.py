"""Uploaded files over the per-file limit are counted, never kept, and reach the view as what
they are: a file too large, which the service refuses with its own message on the form or in
the API's answer. The whole body is held to its route's limit before this (portal.bodies)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from portal.bodies import body_limit


class FileTooLarge(RequestDataTooBig):
    """Something tried to read a file that passed the limit. The API answers 400 naming the
    field (API.md: "wrong type or size 400")."""

    def __init__(self, field_name: str):
        limit_mb = settings.FILE_UPLOAD_MAX_BYTES // (1024 * 1024)
        self.field_name = field_name
        self.message = _(
            "The file is larger than %(limit)d MB. Choose a smaller photo or scan."
        ) % {"limit": limit_mb}
        super().__init__(self.message)


class _Discarded(io.RawIOBase):
    """The bytes of a file too large: none were kept, so reading them is refused."""

    def __init__(self, field_name: str):
        super().__init__()
        self.field_name = field_name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise FileTooLarge(self.field_name)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        raise FileTooLarge(self.field_name)


class OversizedUpload(UploadedFile):
    """A file that passed the per-file limit: its name and the size it reached, no content.
    Every service that takes files checks the size first, so the customer reads that
    service's message; anything that reads it anyway meets FileTooLarge."""

    def __init__(self, *, field_name: str, name: str | None, content_type: str | None, size: int):
        discarded: Any = _Discarded(field_name)  # a file object; the stubs want typing.IO
        super().__init__(discarded, name, content_type, size)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts each file's bytes as they arrive."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, *args: Any, **kwargs: Any
    ) -> None:
        # More than the route's files could add up to (reached only where the body was not
        # already held to its limit as it arrived: WSGI, the test client): nothing is read.
        path = self.request.path if self.request is not None else "/"
        if content_length > body_limit(path):
            raise RequestDataTooBig(_("The request body is too large."))

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            return None  # counted, and not handed to the handlers that keep files
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the next handler gives the file
        return OversizedUpload(
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
        )
