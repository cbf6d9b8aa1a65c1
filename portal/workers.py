"""The web process's worker for gunicorn: uvicorn, with the proxy headers left to Django.

uvicorn would otherwise take the client's address from `X-Forwarded-For` (and the scheme from
`X-Forwarded-Proto`) on every connection from FORWARDED_ALLOW_IPS, 127.0.0.1 unless set,
whatever TRUSTED_PROXY_COUNT says. One setting decides instead: django-xff reads the header
with TRUSTED_PROXY_COUNT, Django the scheme with BEHIND_TLS_PROXY (docs/operations.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker


class PortalUvicornWorker(UvicornWorker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        **UvicornWorker.CONFIG_KWARGS,
        "proxy_headers": False,
    }
