"""Behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer): the hot paths, the
invoice reminder job and the live stream work, with the LISTEN on a direct connection.

The test starts its own PgBouncer (Debian's package, refusing the `options` startup
parameter as it does by default) on a free port in front of the test database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from notifications.models import Notification
from tests.factories import PASSWORD, InvoiceFactory
from tests.notifications.sse import SSEReader
from tests.notifications.test_stream import announce
from tests.reliability.processes import (
    HOST,
    PROJECT_ROOT,
    asgi_server,
    database_address,
    database_url_for,
    free_port,
    service_environment,
    wait_for,
)

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(PGBOUNCER is None, reason="needs pgbouncer: apt-get install pgbouncer"),
]


@pytest.fixture
def pgbouncer(django_db_setup) -> Iterator[tuple[str, int]]:
    """A PgBouncer in transaction mode in front of the test database; its address."""
    assert PGBOUNCER is not None
    host, port = database_address()
    listen = free_port()
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={port}\n"
        "[pgbouncer]\n"
        f"listen_addr = {HOST}\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 10\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    # PgBouncer refuses to run as root.
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [PGBOUNCER, *user, str(folder / "pgbouncer.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def answers() -> bool:
        try:
            import psycopg

            with psycopg.connect(
                f"host={HOST} port={listen} dbname=postgres user=postgres", connect_timeout=1
            ):
                return True
        except psycopg.OperationalError:
            return False

    try:
        wait_for(answers, what="PgBouncer to accept connections", timeout=20)
        yield HOST, listen
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _behind(pgbouncer: tuple[str, int], name: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url_for(name, address=pgbouncer),
        "DATABASE_POOLER": "pgbouncer",
        "DATABASE_POOL": "true",
        "LIVE_DATABASE_URL": database_url_for(f"{name}-listen"),
    }


def test_the_hot_paths_and_the_live_stream_work_through_pgbouncer(tmp_path, pgbouncer, customer):
    for n in range(25):
        announce(customer.user, n)
    token = str(RefreshToken.for_user(customer.user).access_token)
    headers = {"Authorization": f"Bearer {token}"}

    with asgi_server(tmp_path, **_behind(pgbouncer, "bouncer-web")) as base_url:
        # Twice each, so a second request meets server sessions another one used.
        for _ in range(2):
            for path in (
                "/api/me/status",
                "/api/notifications?limit=10",
                "/api/notifications/unread-count",
            ):
                answer = requests.get(f"{base_url}{path}", headers=headers, timeout=10)
                assert answer.status_code == 200, (path, answer.text)
        page = requests.get(f"{base_url}/api/notifications?limit=10", headers=headers, timeout=10)
        cursor = page.json()["nextCursor"]
        deeper = requests.get(
            f"{base_url}/api/notifications?limit=10&cursor={cursor}", headers=headers, timeout=10
        )
        assert deeper.status_code == 200, deeper.text

        session = requests.Session()
        login = session.get(f"{base_url}/login", timeout=10)
        token_field = login.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        session.post(
            f"{base_url}/login",
            data={
                "csrfmiddlewaretoken": token_field,
                "username": customer.user.email,
                "email": customer.user.email,
                "password": PASSWORD,
            },
            headers={"Referer": f"{base_url}/login"},
            timeout=10,
        )
        account = session.get(f"{base_url}/account/", timeout=10)
        assert account.status_code == 200, account.text[:500]

        stream = SSEReader(f"{base_url}/api/notifications/stream", headers=headers)
        try:
            stream.next_of("counts")
            committed = time.monotonic()
            notification = announce(customer.user, 100)
            event = stream.next_of("notification", timeout=5)
            assert event.data["id"] == notification.pk
            assert event.received_at - committed < 2
        finally:
            stream.close()


def test_the_invoice_reminder_job_sends_through_pgbouncer(pgbouncer, customer):
    now = timezone.now()
    invoices = [
        InvoiceFactory(customer=customer, due_date=timezone.localdate() + timedelta(days=3))
        for _ in range(3)
    ]
    env = service_environment("bouncer-job", **_behind(pgbouncer, "bouncer-job"))
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "run_job",
            "invoice_due_reminders",
            "--at",
            now.isoformat(),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sent = Notification.objects.filter(user=customer.user, type="INVOICE_DUE")
    assert sorted(sent.values_list("source_id", flat=True)) == sorted(
        str(invoice.pk) for invoice in invoices
    )
