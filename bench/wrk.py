"""Driving wrk (the load tool) and reading its report.

wrk runs with `--latency`, which prints the 50/75/90/99th percentiles of the latency
(from its HdrHistogram, so they are exact to its resolution, not sampled).
POST requests need a Lua script: wrk sends GET otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "wrk, the load tool, is not installed. On Debian or Ubuntu: "
    "sudo apt-get install wrk (or apt-get install -y wrk as root)."
)

_POST_SCRIPT = """-- Written by bench/wrk.py: wrk sends GET unless a script says otherwise.
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
"""

# wrk's units (src/units.c): time in us/ms/s/m/h, counts with k/M/G suffixes.
_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$")
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


class WrkOutputError(ValueError):
    """wrk's report did not have the lines this parser needs."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    # Percentile (50.0, 75.0, 90.0, 99.0) -> latency in milliseconds.
    latency_ms: dict[float, float]
    non_2xx: int = 0
    socket_errors: int = 0

    @property
    def p50(self) -> float:
        return self.latency_ms[50.0]

    @property
    def p90(self) -> float:
        return self.latency_ms[90.0]

    @property
    def p99(self) -> float:
        return self.latency_ms[99.0]


def parse_wrk_output(text: str) -> WrkResult:
    """Read the summary wrk prints with --latency."""
    latency: dict[float, float] = {}
    requests: int | None = None
    seconds: float | None = None
    rate: float | None = None
    non_2xx = 0
    socket_errors = 0
    in_distribution = False
    for line in text.splitlines():
        if line.strip() == "Latency Distribution":
            in_distribution = True
            continue
        if in_distribution:
            percentile = _PERCENTILE.match(line)
            if percentile:
                value, unit = float(percentile.group(2)), percentile.group(3)
                latency[float(percentile.group(1))] = value * _TIME_UNITS[unit]
                continue
            in_distribution = False
        if match := _REQUESTS.match(line):
            requests = int(match.group(1))
            seconds = float(match.group(2)) * _TIME_UNITS[match.group(3)] / 1e3
        elif match := _RATE.match(line):
            rate = float(match.group(1))
        elif match := _NON_2XX.match(line):
            non_2xx = int(match.group(1))
        elif match := _SOCKET_ERRORS.match(line):
            socket_errors = sum(int(group) for group in match.groups())
    missing = [
        name for name, value in (("requests", requests), ("Requests/sec", rate)) if value is None
    ] + [f"p{p:g}" for p in (50.0, 90.0, 99.0) if p not in latency]
    if missing or requests is None or seconds is None or rate is None:
        raise WrkOutputError(f"wrk's report lacks {', '.join(missing)}:\n{text}")
    return WrkResult(
        requests=requests,
        seconds=seconds,
        requests_per_second=rate,
        latency_ms=latency,
        non_2xx=non_2xx,
        socket_errors=socket_errors,
    )


def combine(results: list[WrkResult]) -> WrkResult:
    """Two wrk processes run side by side (one per server): add up their throughput.

    Percentiles cannot be merged from percentiles; the combined row keeps the worse
    of each, which is an upper bound on the true one.
    """
    if len(results) == 1:
        return results[0]
    percentiles = set.intersection(*(set(result.latency_ms) for result in results))
    return WrkResult(
        requests=sum(result.requests for result in results),
        seconds=max(result.seconds for result in results),
        requests_per_second=sum(result.requests_per_second for result in results),
        latency_ms={p: max(result.latency_ms[p] for result in results) for p in percentiles},
        non_2xx=sum(result.non_2xx for result in results),
        socket_errors=sum(result.socket_errors for result in results),
    )


def wrk_path() -> str | None:
    return shutil.which("wrk")


def write_post_script(directory: Path) -> Path:
    path = directory / "post.lua"
    path.write_text(_POST_SCRIPT)
    return path


@dataclass(frozen=True)
class WrkCommand:
    url: str
    method: str
    token: str
    threads: int
    connections: int
    duration_seconds: int
    post_script: Path | None = None
    # A page: the browser's session cookie, besides the token.
    cookie: str | None = None

    def argv(self, executable: str) -> list[str]:
        argv = [
            executable,
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={self.duration_seconds}s",
            "--timeout=10s",
            "--latency",
            f"--header=Authorization: Bearer {self.token}",
            "--header=Accept: application/json",
        ]
        if self.cookie:
            argv.append(f"--header=Cookie: {self.cookie}")
        if self.method == "POST":
            if self.post_script is None:
                raise ValueError("A POST needs the Lua script from write_post_script().")
            argv.append(f"--script={self.post_script}")
        elif self.method != "GET":
            raise ValueError(f"Unsupported method {self.method}")
        return [*argv, self.url]


def start(command: WrkCommand, executable: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command.argv(executable),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def run_in_parallel(commands: list[WrkCommand], executable: str) -> list[WrkResult]:
    """Run one wrk per command at the same time; their reports, in the same order.

    Each wrk stops itself after its duration; the timeout is a guard, after which the
    process group is killed and the run fails.
    """
    processes = [start(command, executable) for command in commands]
    deadline = max(command.duration_seconds for command in commands) + 30
    outputs: list[str] = []
    try:
        for process in processes:
            stdout, _ = process.communicate(timeout=deadline)
            if process.returncode != 0:
                raise WrkOutputError(f"wrk exited with {process.returncode}:\n{stdout}")
            outputs.append(stdout)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
    return [parse_wrk_output(output) for output in outputs]
