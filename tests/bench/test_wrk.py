from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.wrk import WrkCommand, WrkOutputError, WrkResult, combine, parse_wrk_output

# wrk 4.1.0 --latency against GET /api/me under gunicorn, as printed.
WRK_REPORT = """\
Running 3s test @ http://127.0.0.1:18765/api/me
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.33ms   16.72ms 156.80ms   94.77%
    Req/Sec   342.75    146.15   585.00     61.67%
  Latency Distribution
     50%    9.39ms
     75%   15.31ms
     90%   22.73ms
     99%  111.59ms
  2048 requests in 3.01s, 1.30MB read
Requests/sec:    681.25
Transfer/sec:    443.27KB
"""

# The same tool against a route that answered 404, with socket errors, in other units.
WRK_REPORT_WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:18765/api/me/status
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   628.00us  717.00us  59.44ms   88.95%
    Req/Sec     0.86k   275.24     1.51k    55.00%
  Latency Distribution
     50%  399.00us
     75%  797.00us
     90%    1.45ms
     99%    1.02s
  3429 requests in 2.00s, 2.01MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 3429
Requests/sec:   1712.73
Transfer/sec:      1.00MB
"""


def test_parses_the_latency_distribution_and_throughput():
    result = parse_wrk_output(WRK_REPORT)

    assert result.requests == 2048
    assert result.seconds == pytest.approx(3.01)
    assert result.requests_per_second == pytest.approx(681.25)
    assert result.p50 == pytest.approx(9.39)
    assert result.latency_ms[75.0] == pytest.approx(15.31)
    assert result.p90 == pytest.approx(22.73)
    assert result.p99 == pytest.approx(111.59)
    assert result.non_2xx == 0
    assert result.socket_errors == 0


def test_converts_every_unit_to_milliseconds_and_counts_failures():
    result = parse_wrk_output(WRK_REPORT_WITH_ERRORS)

    assert result.p50 == pytest.approx(0.399)
    assert result.p90 == pytest.approx(1.45)
    assert result.p99 == pytest.approx(1020.0)
    assert result.non_2xx == 3429
    assert result.socket_errors == 5


def test_a_report_without_the_distribution_is_an_error():
    without_latency = "\n".join(
        line for line in WRK_REPORT.splitlines() if not line.strip().startswith(("50%", "99%"))
    )

    with pytest.raises(WrkOutputError, match="p50, p99"):
        parse_wrk_output(without_latency)


def test_two_runs_side_by_side_add_throughput_and_keep_the_worse_percentiles():
    first = WrkResult(100, 10.0, 10.0, {50.0: 2.0, 90.0: 5.0, 99.0: 9.0})
    second = WrkResult(300, 10.1, 30.0, {50.0: 3.0, 90.0: 4.0, 99.0: 12.0}, non_2xx=1)

    both = combine([first, second])

    assert both.requests == 400
    assert both.requests_per_second == pytest.approx(40.0)
    assert both.latency_ms == {50.0: 3.0, 90.0: 5.0, 99.0: 12.0}
    assert both.non_2xx == 1
    assert combine([first]) is first


def test_a_get_command_sends_the_token_and_asks_for_the_latency_distribution():
    command = WrkCommand(
        url="http://127.0.0.1:8000/api/me",
        method="GET",
        token="abc",
        threads=2,
        connections=8,
        duration_seconds=12,
    )

    argv = command.argv("wrk")

    assert argv[0] == "wrk"
    assert "--latency" in argv
    assert "--header=Authorization: Bearer abc" in argv
    assert "--duration=12s" in argv
    assert argv[-1] == "http://127.0.0.1:8000/api/me"
    assert not any(arg.startswith("--script") for arg in argv)


def test_a_post_needs_the_lua_script(tmp_path: Path):
    from bench.wrk import write_post_script

    script = write_post_script(tmp_path)
    post = WrkCommand("http://127.0.0.1:8000/x", "POST", "abc", 1, 1, 1, post_script=script)

    assert f"--script={script}" in post.argv("wrk")
    assert 'wrk.method = "POST"' in script.read_text()
    with pytest.raises(ValueError, match="Lua script"):
        WrkCommand("http://127.0.0.1:8000/x", "POST", "abc", 1, 1, 1).argv("wrk")


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_the_installed_wrk_report_parses(live_server):
    from bench.wrk import run_in_parallel

    command = WrkCommand(f"{live_server.url}/healthz", "GET", "none", 1, 1, 1)

    [result] = run_in_parallel([command], shutil.which("wrk") or "wrk")

    assert result.requests > 0
    assert result.non_2xx == 0
    assert 0 < result.p50 <= result.p90 <= result.p99


def _round(*rates: float) -> list[WrkResult]:
    return [
        WrkResult(requests=100, seconds=4.0, requests_per_second=rate, latency_ms={50.0: 1.0})
        for rate in rates
    ]


def test_each_endpoint_is_reported_by_its_median_round():
    """One round whose connections all landed on one worker does not decide the figure."""
    from bench.harness import median_round

    rounds = [_round(510.0), _round(260.0), _round(530.0)]
    assert median_round(rounds) == rounds[0]
    # Two instances: the round is judged by its summed throughput.
    rounds = [_round(300.0, 300.0), _round(100.0, 150.0), _round(200.0, 250.0)]
    assert median_round(rounds) == rounds[2]
    assert median_round([_round(5.0)]) == _round(5.0)
