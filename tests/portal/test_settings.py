from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _run_settings(
    env: dict[str, str], code: str = "import django; django.setup()"
) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "SECRET_KEY",
            "DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            # Filled in by tests/settings.py for the test run only.
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
            "DATABASE_POOL",
        }
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_time_is_stored_in_utc_and_shown_in_tokyo():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "Asia/Tokyo"


def test_debug_is_off_unless_asked_for_and_then_a_secret_key_is_required():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    refused = _run_settings({}, code)
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    result = _run_settings({"SECRET_KEY": "k" * 64}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


def test_make_run_turns_debug_on():
    makefile = (ROOT / "Makefile").read_text()
    assert "DEV := DEBUG=$${DEBUG:-true}" in makefile
    assert "$(DEV) $(VENV)/bin/uvicorn portal.asgi:application" in makefile


def _make_run_environment(port: str, **env: str) -> str:
    """settings.PORTAL_URL as the server that `make run` starts on `port` would read it."""
    plan = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    (serve,) = [line for line in plan.splitlines() if "uvicorn portal.asgi:application" in line]
    prefix = serve.split(".venv/bin/uvicorn")[0]
    code = "import django; django.setup(); from django.conf import settings; print(settings.PORTAL_URL)"
    clean = {k: v for k, v in os.environ.items() if k not in {"PORTAL_URL", "DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    result = subprocess.run(
        ["sh", "-c", f'{prefix} "$0" -c "$1"', sys.executable, code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_make_run_on_another_port_writes_email_links_to_that_port():
    assert _make_run_environment("8123") == "http://127.0.0.1:8123"
    assert _make_run_environment("8000") == "http://127.0.0.1:8000"


def test_make_run_keeps_a_portal_url_that_is_set():
    given = _make_run_environment("8123", PORTAL_URL="https://portal.example.jp")
    assert given == "https://portal.example.jp"


PG = "postgres://postgres@127.0.0.1:5432/portal"
PRODUCTION = {"SECRET_KEY": "k" * 64, "DATABASE_URL": PG}
DATABASE = (
    "import django; django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; options = db.get('OPTIONS', {}); "
    "print(db['CONN_MAX_AGE'], 'pool' in options, db.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "'prepare_threshold' in options, 'options' in options)"
)


def test_production_borrows_connections_from_the_pool_and_development_keeps_none():
    development = _run_settings({"DEBUG": "true", "DATABASE_URL": PG}, DATABASE)
    production = _run_settings(PRODUCTION, DATABASE)
    assert development.stdout.split() == ["0", "False", "False", "True", "True"], development.stderr
    assert production.stdout.split() == ["0", "True", "False", "True", "True"], production.stderr


def test_persistent_connections_turn_the_pool_off_and_with_the_pool_are_refused():
    persistent = _run_settings({**PRODUCTION, "CONN_MAX_AGE": "60"}, DATABASE)
    assert persistent.stdout.split() == ["60", "False", "False", "True", "True"], persistent.stderr
    refused = _run_settings({**PRODUCTION, "CONN_MAX_AGE": "60", "DATABASE_POOL": "true"})
    assert refused.returncode != 0
    assert "DATABASE_POOL=true needs CONN_MAX_AGE=0" in refused.stderr


def test_the_asgi_application_refuses_persistent_connections():
    code = "import portal.asgi"
    env = {**PRODUCTION, "CONN_MAX_AGE": "60", "PAYMENT_PROCESSOR_ALLOW_TEST": "true"}
    refused = _run_settings(env, code)
    assert refused.returncode != 0
    assert "leaks a connection per request under ASGI" in refused.stderr
    started = _run_settings({**PRODUCTION, "PAYMENT_PROCESSOR_ALLOW_TEST": "true"}, code)
    assert started.returncode == 0, started.stderr


def test_behind_pgbouncer_nothing_lives_in_a_server_session():
    behind = {**PRODUCTION, "DATABASE_POOLER": "pgbouncer"}
    refused = _run_settings(behind, DATABASE)
    assert refused.returncode != 0
    assert "needs LIVE_DATABASE_URL" in refused.stderr
    behind["LIVE_DATABASE_URL"] = PG
    result = _run_settings(behind, DATABASE)
    # Pooled, server-side cursors off, nothing prepared, no startup options.
    assert result.stdout.split() == ["0", "True", "True", "False", "False"], result.stderr
    prepared = _run_settings({**behind, "PREPARED_STATEMENTS": "true"}, DATABASE)
    assert prepared.returncode != 0
    assert "PREPARED_STATEMENTS=true cannot work behind" in prepared.stderr


def test_development_defaults_need_nothing_installed():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from portal.celery import app; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], app.conf.task_always_eager)"
    )
    result = _run_settings({"DEBUG": "true"}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
    ]


def test_urls_switch_to_the_real_services():
    code = (
        "import django; django.setup(); from django.conf import settings; from portal.celery import app; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], app.conf.task_always_eager)"
    )
    result = _run_settings(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
            "DEBUG": "true",
        },
        code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "False",
    ]


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_settings({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = _run_settings(
        {"DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY if settings.DEBUG else "x"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "a" * 20 + "-production-secret-key-for-the-deploy-check-" + "z" * 20,
        "ALLOWED_HOSTS": "portal.example.jp",
    }
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
        }
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_copy_of_env_example_starts_with_the_development_defaults():
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            example[key] = value
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG, "
        "settings.PRIVATE_MEDIA_ROOT.name, bool(settings.SECRET_KEY))"
    )
    result = _run_settings(example, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "private-media", "True"]
