"""The results of one run: the budgets of DESIGN.md section 9, a markdown report and JSON."""

from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import BroadcastTiming, NotifyTiming, QueryCount, UnreadPlan
from bench.wrk import WrkResult

# Authentication, then at most 4 statements for the snapshot (DESIGN.md section 11).
MAX_STATUS_QUERIES = 5
MIN_STATUS_SHARE_OF_FLOOR = 0.5
MIN_LIST_SHARE_OF_FLOOR = 0.5
MIN_PAGE_SHARE_OF_FLOOR = 0.25
# "In bulk batches": on average at least this many notifications per SQL statement. A
# loop of notify() calls makes several statements per notification; batches of hundreds
# make a handful of statements per batch.
BROADCAST_ROWS_PER_STATEMENT = 50

MET, MISSED, NOT_MEASURED = "met", "missed", "not measured"


@dataclass
class EndpointRun:
    method: str
    path: str
    customer: str
    # "ok", "not available" (the endpoint answers 404) or "error: ..." (any other failure).
    outcome: str
    # Every instance's own report and their sum (one instance: the same report).
    result: WrkResult | None = None
    per_instance: list[WrkResult] = field(default_factory=list)
    floor: bool = False
    ratio_to_floor: float | None = None
    # Each round's throughput (every instance summed), in the order the rounds ran.
    rounds: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Budget:
    name: str
    target: str
    measured: str
    verdict: str


@dataclass
class Report:
    started_at: str
    command: str
    commit: str
    machine: dict[str, str]
    config: dict[str, Any]
    endpoints: list[EndpointRun]
    queries: list[QueryCount]
    unread_plan: UnreadPlan | None
    notify: NotifyTiming | None
    broadcast: BroadcastTiming | None
    notes: list[str] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)
    seconds: float = 0.0


def apply_floor(endpoints: list[EndpointRun]) -> None:
    """Each endpoint's throughput as a share of the floor's (GET /api/me) in the same run.

    With rounds taken in turn (`bench.harness.drive`), the share is the median of each
    round's share of the floor's round beside it: on a machine whose speed drifts (a shared
    virtual machine), two figures taken a minute apart would compare the drift too.
    """
    floor = next((run for run in endpoints if run.floor and run.result), None)
    if floor is None or floor.result is None or not floor.result.requests_per_second:
        return
    for run in endpoints:
        if run.result is None:
            continue
        if run.rounds and len(run.rounds) == len(floor.rounds) and all(floor.rounds):
            shares = [mine / theirs for mine, theirs in zip(run.rounds, floor.rounds, strict=True)]
            run.ratio_to_floor = statistics.median(shares)
        else:
            run.ratio_to_floor = run.result.requests_per_second / floor.result.requests_per_second


def _find_run(report: Report, path: str, customer: str) -> EndpointRun | None:
    return next(
        (run for run in report.endpoints if run.path == path and run.customer == customer), None
    )


def _find_queries(report: Report, path: str) -> QueryCount | None:
    return next((count for count in report.queries if count.path == path), None)


def evaluate_budgets(report: Report) -> list[Budget]:
    budgets = []

    status = _find_queries(report, "/api/me/status")
    target = f"light = heavy, at most {MAX_STATUS_QUERIES}"
    if status is None or not status.available or status.light is None or status.heavy is None:
        budgets.append(Budget("me/status SQL statements", target, "not available", NOT_MEASURED))
    else:
        ok = status.light == status.heavy and status.heavy <= MAX_STATUS_QUERIES
        budgets.append(
            Budget(
                "me/status SQL statements",
                target,
                f"light {status.light}, heavy {status.heavy}",
                MET if ok else MISSED,
            )
        )

    heavy_status = _find_run(report, "/api/me/status", "heavy")
    target = f"at least {MIN_STATUS_SHARE_OF_FLOOR:.0%} of GET /api/me"
    if heavy_status is None or heavy_status.ratio_to_floor is None:
        budgets.append(
            Budget("me/status cold throughput (heavy)", target, "not available", NOT_MEASURED)
        )
    else:
        ratio = heavy_status.ratio_to_floor
        budgets.append(
            Budget(
                # No cache: every read builds the snapshot, so this is the cold figure.
                "me/status cold throughput (heavy)",
                target,
                f"{ratio:.0%} of the floor",
                MET if ratio >= MIN_STATUS_SHARE_OF_FLOOR else MISSED,
            )
        )

    for name, path, customer, share in (
        (
            "notification list throughput (heavy)",
            "/api/notifications",
            "heavy",
            MIN_LIST_SHARE_OF_FLOOR,
        ),
        ("dashboard page /account/ (heavy)", "/account/", "heavy", MIN_PAGE_SHARE_OF_FLOOR),
    ):
        run = _find_run(report, path, customer)
        target = f"at least {share:.0%} of GET /api/me"
        if run is None or run.ratio_to_floor is None:
            budgets.append(Budget(name, target, "not available", NOT_MEASURED))
        else:
            budgets.append(
                Budget(
                    name,
                    target,
                    f"{run.ratio_to_floor:.0%} of the floor",
                    MET if run.ratio_to_floor >= share else MISSED,
                )
            )

    plan = report.unread_plan
    target = "one statement on notifications, using notification_unread_count_idx"
    if plan is None:
        budgets.append(Budget("unread count", target, "not available", NOT_MEASURED))
    else:
        uses = "uses the index" if plan.uses_unread_index else "does not use the index"
        ok = plan.notification_statements == 1 and plan.uses_unread_index
        budgets.append(
            Budget(
                "unread count",
                target,
                f"{plan.notification_statements} statement(s), {uses}",
                MET if ok else MISSED,
            )
        )

    broadcast = report.broadcast
    target = f"at least {BROADCAST_ROWS_PER_STATEMENT} notifications per SQL statement"
    if broadcast is None or not broadcast.available:
        budgets.append(Budget("broadcast in bulk", target, "not available", NOT_MEASURED))
    elif broadcast.statements is None:
        budgets.append(Budget("broadcast in bulk", target, "ran in Celery workers", NOT_MEASURED))
    else:
        per_statement = broadcast.rows / max(1, broadcast.statements)
        budgets.append(
            Budget(
                "broadcast in bulk",
                target,
                f"{broadcast.rows:,} notifications in {broadcast.statements:,} statements "
                f"({per_statement:,.0f} per statement)",
                MET if broadcast.rows and per_statement >= BROADCAST_ROWS_PER_STATEMENT else MISSED,
            )
        )
    return budgets


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _count(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def endpoint_table(report: Report) -> list[str]:
    lines = [
        "| endpoint | customer | req/s | p50 ms | p90 ms | p99 ms | vs floor | non-2xx |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in report.endpoints:
        result = run.result
        if result is None:
            lines.append(f"| {run.label} | {run.customer} | {run.outcome} | | | | | |")
            continue
        ratio = "floor" if run.floor else _number(run.ratio_to_floor, 2)
        rate = _number(result.requests_per_second)
        if len(run.per_instance) > 1:
            parts = " + ".join(_number(part.requests_per_second) for part in run.per_instance)
            rate = f"{rate} ({parts})"
        lines.append(
            f"| {run.label} | {run.customer} | {rate} "
            f"| {_number(result.p50, 2)} | {_number(result.p90, 2)} | {_number(result.p99, 2)} "
            f"| {ratio} | {result.non_2xx + result.socket_errors} |"
        )
    return lines


def query_table(report: Report) -> list[str]:
    lines = ["| endpoint | SQL light | SQL heavy |", "| --- | ---: | ---: |"]
    for count in report.queries:
        if not count.available:
            lines.append(f"| {count.method} {count.path} | not available | not available |")
        else:
            lines.append(
                f"| {count.method} {count.path} | {_count(count.light)} | {_count(count.heavy)} |"
            )
    return lines


def render_markdown(report: Report) -> str:
    """The run as markdown, headed at level 2 so it pastes into docs/performance.md as is."""
    config = report.config
    lines = [
        f"## Benchmark run {report.started_at}",
        "",
        f"- Command: `{report.command}` (commit {report.commit}, {report.seconds:.0f} s)",
        "- Machine: " + ", ".join(f"{key} {value}" for key, value in report.machine.items()),
        f"- Servers: {config['instances']} gunicorn instance(s) with "
        f"{' + '.join(map(str, config['workers']))} gthread worker(s) of {config['threads']} "
        f"threads, at most {' + '.join(map(str, config.get('worker_connections', ['-'])))} "
        f"connection(s) each; Celery workers: {config['celery_workers']}",
        f"- Load: wrk, {config['connections']} connections, {config['wrk_threads']} threads, "
        f"{config['duration']} s per endpoint in {config.get('rounds', 1)} round(s) of new "
        "connections, taken in turn across the endpoints (the median round is reported; a "
        "ratio is the median of each round's ratio to the floor's round), after a "
        f"{config['warmup']} s warm-up",
        f"- Data: {config['customers']:,} customers; the heavy one has "
        + ", ".join(f"{count:,} {name}" for name, count in config["heavy"].items())
        + f"; the others {config['notifications_per_customer']} notifications each "
        "(the light one none)",
        "",
        "### Endpoints",
        "",
        *endpoint_table(report),
        "",
        "### SQL statements per request",
        "",
        *query_table(report),
        "",
        "### notify() and the broadcast",
        "",
    ]
    notify = report.notify
    if notify is None:
        lines.append("- notify(): not measured")
    else:
        lines += [
            f"- notify() creating: {notify.created_per_second:,.0f}/s "
            f"({notify.created:,} created in {notify.create_seconds:.2f} s, "
            f"{notify.statements_per_create} statements each)",
            f"- notify() duplicates: {notify.duplicates_per_second:,.0f}/s "
            f"({notify.duplicates:,} in {notify.duplicate_seconds:.2f} s, "
            f"{notify.statements_per_duplicate} statement(s) each)",
        ]
    broadcast = report.broadcast
    if broadcast is None or not broadcast.available:
        detail = broadcast.detail if broadcast else "not measured"
        lines.append(f"- Broadcast of a SYSTEM_ANNOUNCEMENT: not available ({detail})")
    else:
        statements = (
            "in Celery workers"
            if broadcast.statements is None
            else f"{broadcast.statements:,} statements"
        )
        lines.append(
            f"- Broadcast of a SYSTEM_ANNOUNCEMENT: {broadcast.rows:,} notifications in "
            f"{broadcast.seconds:.2f} s ({broadcast.rows_per_second:,.0f}/s, {statements})"
            + (f"; {broadcast.detail}" if broadcast.detail else "")
        )
    lines += [
        "",
        "### Budgets (DESIGN.md section 9)",
        "",
        "| budget | target | measured | verdict |",
        "| --- | --- | --- | --- |",
        *(
            f"| {budget.name} | {budget.target} | {budget.measured} | {budget.verdict} |"
            for budget in report.budgets
        ),
    ]
    if report.unread_plan and report.unread_plan.plan:
        lines += [
            "",
            "### The unread count's plan (heavy customer)",
            "",
            "```",
            report.unread_plan.statement or "",
            "",
            report.unread_plan.plan,
            "```",
        ]
    if report.notes:
        lines += ["", "### Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> str:
    def default(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    data = dataclasses.asdict(report)
    for run, source in zip(data["endpoints"], report.endpoints, strict=True):
        if source.result:
            run["result"]["p50_ms"] = source.result.p50
            run["result"]["p90_ms"] = source.result.p90
            run["result"]["p99_ms"] = source.result.p99
    return json.dumps(data, indent=2, default=default, ensure_ascii=False)


def write(report: Report, directory: Path) -> tuple[Path, Path]:
    """Write `<time>.md` and `<time>.json`, and the same as `latest.md` / `latest.json`."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = report.started_at.replace(":", "").replace("-", "").replace("+", "_")
    markdown, data = render_markdown(report), to_json(report)
    for name in (stamp, "latest"):
        (directory / f"{name}.md").write_text(markdown)
        (directory / f"{name}.json").write_text(data)
    return directory / f"{stamp}.md", directory / f"{stamp}.json"
