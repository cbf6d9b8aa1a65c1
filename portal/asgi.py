"""ASGI entry point: the web process in production (gunicorn with uvicorn workers) and `make run`.

Under ASGI every request runs its synchronous code in a thread of its own, so a database
connection kept open after the request (CONN_MAX_AGE) would outlive its thread and leak:
the application refuses to start with it; connections come from the pool instead. The
notification stream is served beside Django's handler so that an open stream holds no
thread (notifications/live_asgi.py). Outside both, every request body is held to its
route's limit while it arrives (portal/bodies.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_application = get_asgi_application()

from portal.connections import refuse_persistent_connections  # noqa: E402

refuse_persistent_connections()

from notifications.live_asgi import with_streams  # noqa: E402  (needs Django set up)
from portal.bodies import limit_request_bodies  # noqa: E402

application = limit_request_bodies(with_streams(django_application))
