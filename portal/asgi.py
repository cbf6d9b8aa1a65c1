"""ASGI entry point: the web process in production (gunicorn with uvicorn workers) and `make run`.

Under ASGI every request runs its synchronous code in a thread of its own, so a database
connection kept open after the request would outlive its thread: connections close at the
end of each request unless CONN_MAX_AGE says otherwise.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("CONN_MAX_AGE", "0")
application = get_asgi_application()
