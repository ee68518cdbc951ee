"""The overview and the statistics page, beside the same figures counted from the rows, and
what keeping the figures costs ingest (benchmarks/run.py prints them; docs/statistics.md).
"""

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

RUNS = 15
# The pages read from the figures: the overview and the statistics page's groupings.
PAGES = [
    ("overview", "/"),
    ("statistics: by day, last 30 days", "/statistics/?range=30d&by=day"),
    ("statistics: by hangup cause, last 7 days", "/statistics/?range=7d&by=hangup_cause"),
    ("statistics: by group, last 30 days", "/statistics/?range=30d&by=group"),
    ("statistics: by route, last 30 days", "/statistics/?range=30d&by=route"),
    ("statistics: by hour, last 24 hours", "/statistics/?range=24h&by=hour"),
    ("statistics: by account, last 7 days", "/statistics/?range=7d&by=account"),
    ("statistics: by account, last 30 days", "/statistics/?range=30d&by=account"),
]


def _ms(query: Callable[[], object]) -> tuple[float, float]:
    """p50 and p95 of `query`, warm."""
    query()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        query()
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94]


def _from_rows(end: datetime) -> list[tuple[str, Callable[[], object]]]:
    """The figures of the pages above, each counted from the CDR rows as the pages did
    before the figures were kept."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncDate

    from logging_app import models

    cdrs = models.CallDetailRecord.objects
    answered = Q(disposition="ANSWERED")
    figures = {
        "calls": Count("pk"),
        "answered": Count("pk", filter=answered),
        "duration": Sum("call_duration", filter=answered),
    }
    week, month = (
        cdrs.filter(call_date__gte=end - timedelta(days=7)),
        cdrs.filter(call_date__gte=end - timedelta(days=30)),
    )
    return [
        (
            "overview's calls chart: 14 days by day and disposition",
            lambda: list(
                cdrs.filter(call_date__gte=end - timedelta(days=14))
                .annotate(day=TruncDate("call_date", tzinfo=UTC))
                .values("day", "disposition")
                .annotate(n=Count("pk"))
                .order_by()
            ),
        ),
        (
            "by day, last 30 days",
            lambda: list(
                month.annotate(day=TruncDate("call_date", tzinfo=UTC))
                .values("day")
                .annotate(**figures)
                .order_by()
            ),
        ),
        (
            "by hangup cause, last 7 days",
            lambda: list(week.values("hangup_cause").annotate(**figures).order_by()),
        ),
        (
            "by account (as caller), last 30 days",
            lambda: list(month.values("caller_account").annotate(**figures).order_by()),
        ),
    ]


def _ingest_cost(rows: int, records: Callable) -> list[tuple[str, float]]:
    """Seconds per 50,000 CDRs of each aggregate the CDR log keeps, counting a batch of
    prepared rows (rolled back), beside the COPY of the same rows."""
    from django.db import transaction

    from logging_app import ingest
    from logging_app.logs import LOGS

    spec = LOGS["cdr"]
    end = datetime.now(UTC)
    prepared = ingest.prepared_rows("cdr", records(rows, end))
    timings = []
    for _ in range(2):  # the second run reported, warm
        timings = []
        with transaction.atomic():
            started = time.perf_counter()
            stored = ingest.copy_insert(spec.model, prepared, len(prepared))
            timings.append(("COPY of the rows", time.perf_counter() - started))
            for aggregate in spec.aggregates:
                started = time.perf_counter()
                aggregate.count(stored, 1)
                timings.append((aggregate.name, time.perf_counter() - started))
            transaction.set_rollback(True)
    return [(name, seconds * 50_000 / rows) for name, seconds in timings]


def report(end: datetime, rows: int, records: Callable) -> None:
    print()
    print("| The same figures counted from the rows (one query) | p50 | p95 |")
    print("|---|---:|---:|")
    for name, query in _from_rows(end):
        p50, p95 = _ms(query)
        print(f"| {name} | {p50:.1f} ms | {p95:.1f} ms |", flush=True)
    if not rows:
        return
    print()
    print("| Ingest: seconds per 50,000 CDRs (rolled back) | s | share of the COPY |")
    print("|---|---:|---:|")
    costs = _ingest_cost(rows, records)
    copy = costs[0][1]
    for name, seconds in costs:
        print(f"| {name} | {seconds:.3f} | {seconds / copy:.0%} |", flush=True)
