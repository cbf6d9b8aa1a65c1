from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from bench import runner, servers
from bench.harness import Layout, split
from bench.progress import ProgressBar
from bench.wrk import INSTALL_HINT


def test_without_postgres_the_bench_says_so_and_stops(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")

    assert runner.main([]) == 2
    assert "make bench needs PostgreSQL: set DATABASE_URL" in capsys.readouterr().err


def test_without_wrk_the_bench_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
    monkeypatch.setattr("bench.wrk.wrk_path", lambda: None)

    assert runner.main([]) == 2
    assert capsys.readouterr().err.strip() == INSTALL_HINT
    assert "apt-get install wrk" in INSTALL_HINT


def test_the_run_is_production_like_with_a_fresh_secret_key():
    first, second = runner.run_environment(), runner.run_environment()

    assert first["DEBUG"] == "false"
    assert first["ALLOWED_HOSTS"] == "127.0.0.1"
    assert first["SECURE_SSL_REDIRECT"] == "false"
    assert len(first["SECRET_KEY"]) >= 50
    assert first["SECRET_KEY"] != second["SECRET_KEY"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--duration=0"],
        ["--duration=61"],
        ["--customers=1"],
        ["--two-instances", "--workers=1"],
        ["--rounds=0"],
        ["--duration=2", "--rounds=3"],
    ],
)
def test_options_that_would_break_the_run_are_refused(argv):
    with pytest.raises(SystemExit):
        runner.parse_args(argv)


def test_two_instances_share_the_workers_and_the_connections():
    args = runner.parse_args(
        ["--two-instances", "--workers=3", "--connections=8", "--wrk-threads=2"]
    )

    layout = Layout.from_args(args, broker=True)

    assert layout.instances == 2
    assert layout.workers == [2, 1]
    assert layout.connections == [4, 4]
    assert layout.wrk_threads == [1, 1]
    assert layout.celery_workers == 2
    assert Layout.from_args(args, broker=False).celery_workers == 0
    assert split(5, 2) == [3, 2]


def test_each_worker_holds_at_most_its_share_of_the_connections():
    """wrk's keep-alive connections would otherwise pile up on whichever worker accepts
    first; a share plus one kept alive beside the threads."""
    one = Layout.from_args(runner.parse_args(["--workers=3", "--connections=8"]), broker=False)
    assert one.worker_connections(0) == 3
    many = Layout.from_args(runner.parse_args(["--workers=2", "--connections=16"]), broker=False)
    assert many.worker_connections(0) == 8
    two = Layout.from_args(
        runner.parse_args(["--two-instances", "--workers=3", "--connections=8"]), broker=False
    )
    assert [two.worker_connections(i) for i in range(2)] == [3, 4]


def test_one_instance_starts_no_celery_worker():
    layout = Layout.from_args(runner.parse_args([]), broker=True)

    assert layout.instances == 1
    assert layout.celery_workers == 0


def test_requests_go_only_to_the_local_servers():
    with pytest.raises(ValueError, match=r"only talks to 127\.0\.0\.1"):
        servers.request("http://example.com/api/me")


def test_a_free_port_is_a_local_port_nobody_listens_on():
    assert 0 < servers.free_port() < 65536


def test_the_process_group_stops_what_it_started_even_after_an_error(tmp_path: Path):
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]

    with pytest.raises(RuntimeError), servers.ProcessGroup(log_dir=tmp_path, env={}) as group:
        started = group.start("sleeper", sleeper)
        assert started.alive()
        raise RuntimeError("the run failed half-way")

    assert started.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(started.process.pid, 0)  # nothing is left in its process group


def test_the_progress_bar_writes_finished_steps_to_a_log():
    out = io.StringIO()
    progress = ProgressBar(out, interactive=False)

    progress("users", 0, 10)
    progress("users", 5, 10)
    progress("users", 10, 10)
    progress("users", 10, 10)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("users")
    assert "[##############################] 100% 10/10" in lines[0]


def test_the_reads_are_loaded_in_turn_round_after_round_and_the_writes_after_them():
    """The floor and what is compared with it are measured seconds apart, not minutes."""
    import argparse

    from bench.harness import ENDPOINTS, drive
    from bench.wrk import WrkResult

    loaded = []

    class Driver:
        def probe(self, endpoint):
            return "ok"

        def load(self, endpoint, duration):
            loaded.append(endpoint.path if endpoint.method == "GET" else "write")
            rate = 1000.0 if endpoint.floor else 500.0
            return [WrkResult(int(rate * duration), float(duration), rate, {50.0: 1.0})]

    args = argparse.Namespace(warmup=0, rounds=2, duration=8)
    runs = drive(Driver(), args)  # type: ignore[arg-type]

    reads = [endpoint.path for endpoint in ENDPOINTS if endpoint.method == "GET"]
    assert loaded == reads + reads + ["write", "write"]
    assert all(len(run.rounds) == 2 for run in runs)
    assert {run.ratio_to_floor for run in runs if not run.floor} == {0.5}
