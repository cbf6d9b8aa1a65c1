"""Django's database sessions, with the read every page makes compiled once.

`SESSION_ENGINE = "accounts.sessions"`: the same table and behaviour as
`django.contrib.sessions.backends.db`; only the look-up of a live session goes through a
statement compiled once per process (portal/statements.py), since every page starts with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from portal.statements import Statement, Values


def _live_session_query(shape: None, values: Values) -> QuerySet[Session]:
    return Session.objects.filter(session_key=values["session_key"], expire_date__gt=values["now"])


LIVE_SESSION = Statement(
    _live_session_query,
    probes=(
        {"session_key": "probe-session-1", "now": datetime(1901, 2, 3, 4, 5, 6, 7, UTC)},
        {"session_key": "probe-session-2", "now": datetime(1902, 3, 4, 5, 6, 7, 8, UTC)},
    ),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        """The session if it exists and has not expired; forgets the key otherwise."""
        values = {"session_key": self.session_key, "now": timezone.now()}
        sessions = LIVE_SESSION.fetch_models(Session, None, values)
        if not sessions:
            self._session_key = None
            return None
        return sessions[0]
