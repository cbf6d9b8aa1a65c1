from __future__ import annotations

import json
from pathlib import Path

from bench.measure import BroadcastTiming, NotifyTiming, QueryCount, UnreadPlan
from bench.report import (
    MET,
    MISSED,
    NOT_MEASURED,
    EndpointRun,
    Report,
    apply_floor,
    evaluate_budgets,
    render_markdown,
    write,
)
from bench.wrk import WrkResult, combine


def _result(rate: float) -> WrkResult:
    return WrkResult(int(rate * 10), 10.0, rate, {50.0: 2.0, 75.0: 3.0, 90.0: 4.0, 99.0: 9.5})


def _report(*, status_rate: float | None, status_queries: tuple[int, int] = (3, 3)) -> Report:
    endpoints = [
        EndpointRun("GET", "/api/me", "heavy", "ok", _result(1000.0), floor=True),
        EndpointRun(
            "GET",
            "/api/me/status",
            "heavy",
            "ok" if status_rate else "not available",
            _result(status_rate) if status_rate else None,
        ),
        EndpointRun("POST", "/api/notifications/read-all", "heavy", "not available"),
    ]
    apply_floor(endpoints)
    light, heavy = status_queries
    return Report(
        started_at="2025-06-01T10:00:00+09:00",
        command="python -m bench",
        commit="abc1234",
        machine={"cores": "2", "PostgreSQL": "15.20"},
        config={
            "instances": 1,
            "workers": [3],
            "threads": 2,
            "celery_workers": 0,
            "connections": 8,
            "wrk_threads": 2,
            "duration": 12,
            "warmup": 3,
            "customers": 10_000,
            "heavy": {"invoices": 500, "orders": 100},
            "notifications_per_customer": 3,
        },
        endpoints=endpoints,
        queries=[
            QueryCount("GET", "/api/me", 1, 1, 200, 200),
            QueryCount("GET", "/api/me/status", light, heavy, 200, 200),
            QueryCount("GET", "/api/notifications", None, None, 404, 404),
        ],
        unread_plan=UnreadPlan(
            'SELECT COUNT(*) FROM "notifications_notification"',
            "Index Only Scan using notification_unread_count_idx on notifications_notification",
            True,
            1,
        ),
        notify=NotifyTiming(1000, 1000, 2.0, 1000, 0.5, 6, 1),
        broadcast=BroadcastTiming(available=False, detail="not built yet"),
    )


def _verdicts(report: Report) -> dict[str, str]:
    return {budget.name: budget.verdict for budget in evaluate_budgets(report)}


def test_ratios_are_shares_of_the_floor_in_the_same_run():
    report = _report(status_rate=600.0)

    assert report.endpoints[0].ratio_to_floor == 1.0
    assert report.endpoints[1].ratio_to_floor == 0.6
    assert report.endpoints[2].ratio_to_floor is None


def test_with_rounds_a_ratio_is_the_median_of_each_rounds_ratio_to_the_floors():
    # The machine slowed down in round 2: both fell, their ratio did not.
    floor = EndpointRun("GET", "/api/me", "heavy", "ok", _result(900.0), floor=True)
    floor.rounds = [1000.0, 500.0, 900.0]
    page = EndpointRun("GET", "/account/", "heavy", "ok", _result(250.0))
    page.rounds = [260.0, 125.0, 250.0]
    apply_floor([floor, page])
    assert page.ratio_to_floor == 0.26
    # Ranked alone, the median rounds (900 and 250) would have said 0.28.


def test_budgets_met():
    verdicts = _verdicts(_report(status_rate=600.0))

    assert verdicts["me/status SQL statements"] == MET
    assert verdicts["me/status cold throughput (heavy)"] == MET
    assert verdicts["unread count"] == MET
    assert verdicts["broadcast in bulk"] == NOT_MEASURED


def test_budgets_missed_when_status_is_slow_or_grows_with_data():
    assert _verdicts(_report(status_rate=400.0))["me/status cold throughput (heavy)"] == MISSED
    grows = _verdicts(_report(status_rate=600.0, status_queries=(3, 4)))
    assert grows["me/status SQL statements"] == MISSED
    too_many = _verdicts(_report(status_rate=600.0, status_queries=(6, 6)))
    assert too_many["me/status SQL statements"] == MISSED


def test_a_broadcast_statement_per_customer_misses_the_bulk_budget():
    report = _report(status_rate=600.0)
    report.broadcast = BroadcastTiming(True, "", 10_000, 10_000, 4.0, statements=10_001)

    assert _verdicts(report)["broadcast in bulk"] == MISSED

    report.broadcast = BroadcastTiming(True, "", 10_000, 10_000, 1.0, statements=25)
    assert _verdicts(report)["broadcast in bulk"] == MET


def test_endpoints_not_built_yet_are_not_measured():
    verdicts = _verdicts(_report(status_rate=None, status_queries=(7, 7)))

    assert verdicts["me/status cold throughput (heavy)"] == NOT_MEASURED


def test_markdown_has_the_tables_and_the_plan():
    report = _report(status_rate=600.0)
    report.budgets = evaluate_budgets(report)

    markdown = render_markdown(report)

    assert "| GET /api/me | heavy | 1,000.0 | 2.00 | 4.00 | 9.50 | floor | 0 |" in markdown
    assert "| GET /api/me/status | heavy | 600.0 | 2.00 | 4.00 | 9.50 | 0.60 | 0 |" in markdown
    assert "| POST /api/notifications/read-all | heavy | not available |" in markdown
    assert "| GET /api/notifications | not available | not available |" in markdown
    assert "notify() creating: 500/s" in markdown
    assert "notify() duplicates: 2,000/s" in markdown
    assert "not available (not built yet)" in markdown
    assert "Index Only Scan using notification_unread_count_idx" in markdown
    assert (
        "| me/status cold throughput (heavy) | at least 50% of GET /api/me | 60% of the floor | met |"
        in markdown
    )


def test_results_are_written_as_markdown_and_json(tmp_path: Path):
    report = _report(status_rate=600.0)
    report.budgets = evaluate_budgets(report)

    markdown_path, json_path = write(report, tmp_path)

    assert markdown_path.read_text() == (tmp_path / "latest.md").read_text()
    data = json.loads(json_path.read_text())
    assert data["endpoints"][1]["result"]["requests_per_second"] == 600.0
    assert data["endpoints"][1]["result"]["p99_ms"] == 9.5
    assert data["endpoints"][1]["ratio_to_floor"] == 0.6
    assert {budget["verdict"] for budget in data["budgets"]} == {MET, NOT_MEASURED}


def test_two_instances_show_each_instance_and_the_sum():
    report = _report(status_rate=600.0)
    floor = report.endpoints[0]
    floor.per_instance = [_result(600.0), _result(400.0)]
    floor.result = combine(floor.per_instance)

    markdown = render_markdown(report)

    assert "| GET /api/me | heavy | 1,000.0 (600.0 + 400.0) | 2.00 |" in markdown
