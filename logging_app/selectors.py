"""Reads: what the pages show, built from the per-log declarations."""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from . import models
from .registry import LOGS, LogSpec

ACCOUNT_TIMELINE_LENGTH = 50


def log_queryset(spec: LogSpec) -> QuerySet:
    """The rows of one log, newest first, with the accounts the table links to.

    The ordering ends with the primary key so that rows of equal time keep their order
    from page to page; (time, id) is the index every log has.
    """
    queryset = spec.model.objects.order_by(f"-{spec.time_field}", "-id")
    if spec.link_fields:
        queryset = queryset.select_related(*spec.link_fields)
    return queryset


def log_record(spec: LogSpec, pk: int) -> Model | None:
    return log_queryset(spec).filter(pk=pk).first()


@dataclass(frozen=True)
class TimelineEntry:
    time: datetime
    log: LogSpec
    record: Model

    @property
    def url(self) -> str:
        return reverse("log_detail", args=[self.log.slug, self.record.pk])


def _account_condition(spec: LogSpec, username: str, account: models.Account | None) -> Q | None:
    conditions = Q()
    for link in spec.account_links:
        if account is not None:
            conditions |= Q(**{link.link: account})
        if link.match == "username":
            conditions |= Q(**{link.source: username})
    return conditions or None


def account_timeline(
    *, username: str, account: models.Account | None, limit: int = ACCOUNT_TIMELINE_LENGTH
) -> list[TimelineEntry]:
    """The account's most recent activity across every log, newest first, as one list.

    Each log contributes at most `limit` rows through its (account, time) index; the
    merge keeps the newest `limit` of them.
    """
    streams = []
    for spec in LOGS.values():
        condition = _account_condition(spec, username, account)
        if condition is None:
            continue
        rows = log_queryset(spec).filter(condition)[:limit]
        streams.append([TimelineEntry(getattr(row, spec.time_field), spec, row) for row in rows])
    merged = heapq.merge(*streams, key=lambda entry: entry.time, reverse=True)
    return [entry for _, entry in zip(range(limit), merged, strict=False)]


def account_has_activity(*, username: str) -> bool:
    return any(
        spec.model.objects.filter(condition).exists()
        for spec in LOGS.values()
        if (condition := _account_condition(spec, username, None)) is not None
    )


def call_legs(record: models.CallDetailRecord) -> QuerySet:
    """The other rows sharing a call id: the legs of a 3-way, conference or transfer."""
    return (
        models.CallDetailRecord.objects.filter(call_id=record.call_id)
        .exclude(pk=record.pk)
        .order_by("call_date", "id")
    )


def cdr_policy() -> models.CdrPolicy:
    """The CDR policy in force: the stored one, else the default, without writing it.

    A page view is a read; `CdrPolicy.current()` would create the row on first use.
    """
    stored = models.CdrPolicy.objects.filter(pk=models.CdrPolicy.SINGLETON_ID).first()
    return stored or models.CdrPolicy()


@dataclass(frozen=True)
class LogActivity:
    log: LogSpec
    count: int
    latest: datetime | None


def recent_activity(*, logs: Iterable[LogSpec], since: datetime) -> list[LogActivity]:
    """How many rows each log received since `since`, and when the newest one arrived.

    One query per log, bounded by its (time, id) index: no full-table count.
    """
    activity = []
    for spec in logs:
        totals = spec.model.objects.filter(**{f"{spec.time_field}__gte": since}).aggregate(
            count=Count("pk"), latest=Max(spec.time_field)
        )
        activity.append(LogActivity(spec, totals["count"], totals["latest"]))
    return activity


def daily_counts(
    *, log: LogSpec, field: str, values: Iterable[str], start: datetime, end: datetime
) -> dict[tuple[date, str], int]:
    """Rows of `log` per day (in the current time zone) and per value of `field`.

    The database groups the rows: one query whatever their number, through the log's
    (field, time) index.
    """
    time_field = log.time_field
    rows = (
        log.model.objects.filter(
            **{f"{time_field}__gte": start, f"{time_field}__lt": end, f"{field}__in": values}
        )
        .annotate(day=TruncDate(time_field, tzinfo=timezone.get_current_timezone()))
        .values("day", field)
        .annotate(count=Count("pk"))
    )
    return {(row["day"], row[field]): row["count"] for row in rows}
