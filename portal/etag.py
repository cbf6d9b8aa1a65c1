"""ETag and If-None-Match for API reads: a 304 with no body when the client's copy is current.

Two ways to make the tag. `etag_from_version` takes a few facts that the database changes
whenever the answer would (cheap: the answer is never built for a 304); `json_with_etag`
hashes the rendered body (always exact, saves the transfer but not the work).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_etags, quote_etag
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response


def make_etag(*parts: object) -> str:
    digest = hashlib.blake2b("\x1f".join(str(part) for part in parts).encode(), digest_size=16)
    return quote_etag(digest.hexdigest())


def client_has(request: HttpRequest | Request, etag: str) -> bool:
    """True when If-None-Match names `etag` (weak comparison, as RFC 9110 asks for GETs)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    if "*" in tags:
        return True
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in tags)


def not_modified(etag: str) -> Response:
    return Response(status=304, headers={"ETag": etag})


def json_with_etag(request: HttpRequest | Request, data: Any) -> HttpResponse:
    """`data` with an ETag of its JSON, or a 304 when the client already has that JSON.

    The body is rendered once, for the tag and the answer alike.
    """
    body = JSONRenderer().render(data)
    etag = quote_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
    if client_has(request, etag):
        return Response(status=304, headers={"ETag": etag})
    return HttpResponse(body, content_type="application/json", headers={"ETag": etag})
