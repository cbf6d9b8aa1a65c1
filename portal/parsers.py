"""The API's JSON parser: DRF's, with JSON nested too deeply to read answered as a 400."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            # `[[[[...` a few thousand deep exhausts Python's recursion limit: malformed
            # input like any other, never a 500.
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from error
