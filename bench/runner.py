"""`python -m bench`: the command line, the checks before anything starts, the environment.

Django is set up only after the environment of the run is in place (production-like:
DEBUG off, a fresh SECRET_KEY), because settings are read once, at set-up; the steps
that need Django live in `bench.harness`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")

NEEDS_POSTGRES = """\
make bench needs PostgreSQL: set DATABASE_URL, for example
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench make bench
The benchmark loads 10,000 customers into that database: give it one of its own."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the portal under gunicorn on PostgreSQL with wrk "
        "(DESIGN.md section 9). Needs DATABASE_URL=postgres://... and wrk.",
    )
    parser.add_argument("--duration", type=int, default=12, help="seconds of load per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help=(
            "rounds per endpoint, each with new connections, taken in turn across the "
            "endpoints; the median round is reported, each ratio to the floor round by round"
        ),
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections in total")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads in total")
    parser.add_argument(
        "--workers",
        type=int,
        default=cores + 1,
        help="gunicorn workers in total, over all instances (default: cores + 1)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--customers", type=int, default=10_000, help="customers to load")
    parser.add_argument("--notify-calls", type=int, default=1_000, help="notify() calls per pass")
    parser.add_argument(
        "--two-instances",
        action="store_true",
        help="two gunicorn instances (sharing the workers) and, with a broker, two Celery "
        "workers, all on the same database; one wrk per instance, at the same time",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="where results go")
    args = parser.parse_args(argv)
    for name in (
        "duration",
        "rounds",
        "connections",
        "wrk_threads",
        "workers",
        "threads",
        "notify_calls",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.customers < 2:
        parser.error("--customers must be at least 2 (a light and a heavy customer)")
    if args.warmup < 0:
        parser.error("--warmup cannot be negative")
    if args.duration > 60 or args.warmup > 30 or args.notify_calls > 10_000:
        parser.error(
            "Keep --duration at most 60, --warmup at most 30 and --notify-calls at most "
            "10000: a run stays under ten minutes."
        )
    if args.duration < args.rounds:
        parser.error("--duration must give each round at least a second")
    if args.two_instances and min(args.connections, args.workers) < 2:
        parser.error("--two-instances needs at least 2 connections and 2 workers")
    return args


def run_environment() -> dict[str, str]:
    """The environment of every process of the run, this one included."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        # The bench's customers pay with the test processor's cards.
        PAYMENT_PROCESSOR_ALLOW_TEST="true",
        LOG_LEVEL="WARNING",
        # Longer than a run, so no token expires under load.
        JWT_ACCESS_MINUTES="60",
        # The API needs no collected static files; whitenoise would warn about them.
        PYTHONWARNINGS="ignore:No directory at",
        PYTHONUNBUFFERED="1",
    )
    # Mail and push are delivered by workers, after the commit: what the bench times is the
    # portal's own work, not an SMTP server (or the console) taking each message.
    env.setdefault("EMAIL_URL", "dummymail://")
    return env


def preflight() -> str | None:
    """Why the bench cannot run here, or None when it can."""
    import environ

    from bench.wrk import INSTALL_HINT, wrk_path

    # Read .env as the settings would, so a DATABASE_URL there counts.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        return NEEDS_POSTGRES
    if wrk_path() is None:
        return INSTALL_HINT
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problem = preflight()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    env = run_environment()
    os.environ.update(env)
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    # The probes' 404s (endpoints not built yet) are expected, not news.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from bench.harness import run

    try:
        return run(args, env=env)
    except KeyboardInterrupt:
        print("\nInterrupted; every process the bench started was stopped.", file=sys.stderr)
        return 130
