"""The API's JSON parser: DRF's, refusing a body over the size limit before reading it, and
answering JSON nested too deeply to read as a 400."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        limit_kb = settings.API_JSON_MAX_BODY_BYTES // 1024
        super().__init__(_("The request body is larger than %(limit)d KB.") % {"limit": limit_kb})


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_JSON_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise PayloadTooLarge()  # nothing read
        if stream is not None:
            # A body without a (truthful) length is read up to the limit and no further.
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise PayloadTooLarge()
            stream = _Buffer(body)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            # `[[[[...` a few thousand deep exhausts Python's recursion limit: malformed
            # input like any other, never a 500.
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error


class _Buffer:
    """The body already read, as the stream DRF's parser reads."""

    def __init__(self, body: bytes):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        body, self._body = self._body, b""
        return body
