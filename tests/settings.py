"""Settings for the test suite: the project's own, with DEBUG at its default (off), as the
test client and the test servers need them on plain HTTP and without collectstatic.

Only the environment is filled in (never overriding what is set), so the worker and web
processes some tests start read exactly the same settings.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-key-" + "0123456789" * 5)
for _name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(_name, "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# The suite pays with the test processor's cards, with DEBUG off.
os.environ.setdefault("PAYMENT_PROCESSOR_ALLOW_TEST", "true")
# One connection per test process, as the suite's statement and connection counts expect;
# the production default (pooled) is tested by processes that ask for it.
os.environ.setdefault("DATABASE_POOL", "false")

from portal.settings import *  # noqa: E402, F403
from portal.settings import STORAGES  # noqa: E402

# Static files straight from their folders: a test run does not collect them first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The web processes some tests start (DEBUG off, as deployed) serve them from there too.
WHITENOISE_USE_FINDERS = True
