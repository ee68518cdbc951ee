"""The calls of a time range grouped by account, group, route, hangup cause, disposition,
day or hour, read from the figures kept as CDRs arrive (logging_app/figures.py, and
logging_app/aggregates.py for accounts): calls, answered, ASR and ACD.

A range is counted in whole UTC hours (accounts: whole UTC days), the figures' own; the
range it was rounded to is returned with the rows, for the page to say and for its links to
select exactly the calls counted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from django.db import connection, connections, router
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncDate

from . import models
from .aggregates import TOTALS, whole_weeks
from .figures import CallRates, utc_hour

Dimension = models.CallDimension

# What the calls can be grouped by (`by=`), in the form's order, with the column's title.
ACCOUNT, DAY, HOUR = "account", "day", "hour"
GROUPINGS = {
    ACCOUNT: "Account",
    Dimension.GROUP.value: "Group",
    Dimension.ROUTE.value: "Call route",
    Dimension.HANGUP_CAUSE.value: "Hangup cause",
    Dimension.DISPOSITION.value: "Disposition",
    DAY: "Day",
    HOUR: "Hour",
}


@dataclass
class Figures(CallRates):
    """Calls, answered calls and their call duration: what ASR and ACD are made of."""

    calls: int = 0
    answered: int = 0
    answered_duration: int = 0


@dataclass
class Row(Figures):
    """The calls of one account, group, route, cause, disposition, day or hour: `key` is
    the value grouped by (a date-time's start for a day or hour), `start` and `end` the
    time the row counts (its day or hour within the range)."""

    key: object = None
    start: datetime | None = None
    end: datetime | None = None
    by_disposition: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Counted:
    """What a range counts: its rows, every call of the range (once each), and the range
    as counted, from `start` to `end` (excluded), and whether that is not the one asked."""

    rows: list[Row]
    total: Figures
    start: datetime
    end: datetime
    rounded: bool


def counted_range(start: datetime, end: datetime, *, by: str) -> tuple[datetime, datetime]:
    """The range the figures count for [`start`, `end`]: whole UTC hours (whole UTC days
    by account), from the one `start` is in to the one `end` is in."""
    first, last = utc_hour(start), utc_hour(end) + timedelta(hours=1)
    if by == ACCOUNT:
        first = datetime.combine(first.date(), time(), tzinfo=UTC)
        if last.time() != time():
            last = datetime.combine(last.date() + timedelta(days=1), time(), tzinfo=UTC)
    return first, last


def _summed(rows: QuerySet, *names: str) -> QuerySet:
    return rows.values(*names).annotate(
        n_calls=Sum("calls"), n_answered=Sum("answered"), n_duration=Sum("answered_duration")
    )


def _figures(row: dict, into: Figures) -> Figures:
    into.calls += row["n_calls"]
    into.answered += row["n_answered"]
    into.answered_duration += row["n_duration"]
    return into


def _by_value(hours: QuerySet, by: str, zone: tzinfo, start, end) -> list[Row]:
    summed = _summed(hours.filter(dimension=by), "value").order_by()
    return [_figures(row, Row(key=row["value"], start=start, end=end)) for row in summed]


def _hour_on_or_after(moment: datetime) -> datetime:
    hour = utc_hour(moment)
    return hour if hour == moment else hour + timedelta(hours=1)


def _by_time(hours: QuerySet, by: str, zone: tzinfo, start, end) -> list[Row]:
    """Rows per day in `zone` or per UTC hour (shown in `zone`), each with its calls by
    disposition (for a chart).

    A day holds the UTC hours that start in it: all of its hours in a zone whose offset is
    whole hours; in one half an hour off UTC, from half past its first hour to half past
    the next day's (docs/statistics.md). Its `start` and `end` say so, for its link.
    """
    by_disposition = hours.filter(dimension=Dimension.DISPOSITION)
    if by == DAY:
        by_disposition = by_disposition.annotate(bucket=TruncDate("hour", tzinfo=zone))
    else:
        by_disposition = by_disposition.annotate(bucket=F("hour"))
    rows: dict[object, Row] = {}
    for summed in _summed(by_disposition, "bucket", "value").order_by():
        key = summed["bucket"]
        if key not in rows:
            if by == DAY:
                begins = _hour_on_or_after(datetime.combine(key, time(), tzinfo=zone))
                ends = _hour_on_or_after(
                    datetime.combine(key + timedelta(days=1), time(), tzinfo=zone)
                )
            else:
                begins, ends = key, key + timedelta(hours=1)
            rows[key] = Row(key=key, start=max(begins, start), end=min(ends, end))
        _figures(summed, rows[key]).by_disposition[summed["value"]] = summed["n_calls"]
    return list(rows.values())


def _by_account(hours: QuerySet, by: str, zone: tzinfo, start, end) -> list[Row]:
    """Each account's calls made and received over whole UTC days: a call between two
    accounts is on both their rows, a call of no account on none.

    Summed from the accounts' week totals for the whole weeks (from Monday) of the range
    and their day totals for the days before and after them: a month is four or five rows
    an account and at most twelve days, not thirty days (60,000 rows for 2,000 accounts).
    Each account's name is joined once its figures are summed, all in one query: grouped by
    the name as well, PostgreSQL sorted the month's rows to merge them with the accounts;
    read by a subquery per account, they took as long as the sums; the names apart, by a
    list of 2,000 ids, cost 40 ms more.
    """
    first, last = start.date(), end.date()
    weeks_from, weeks_until = whole_weeks(first, last)
    columns = ("account_id", *TOTALS)
    parts = [
        models.AccountCallWeek.objects.filter(week__gte=weeks_from, week__lt=weeks_until),
        models.AccountCallTotal.objects.filter(day__gte=first, day__lt=weeks_from),
        models.AccountCallTotal.objects.filter(day__gte=weeks_until, day__lt=last),
    ]
    compiled = [part.values_list(*columns).order_by().query.sql_with_params() for part in parts]
    quote = connection.ops.quote_name
    sums = ", ".join(f"SUM({column}) AS {column}" for column in TOTALS)
    sql = (
        f"SELECT account.username, {', '.join(f'summed.{column}' for column in TOTALS)} FROM "
        f"(SELECT account_id, {sums} FROM ({' UNION ALL '.join(part for part, _ in compiled)}) "
        "AS figures GROUP BY account_id) AS summed "
        f"LEFT JOIN {quote(models.Account._meta.db_table)} AS account "
        "ON account.id = summed.account_id"
    )
    params = [param for _, part_params in compiled for param in part_params]
    with connections[router.db_for_read(models.AccountCallTotal)].cursor() as cursor:
        cursor.execute(sql, params)
        summed = cursor.fetchall()
    return [
        Row(*map(int, figures), key=name, start=start, end=end)  # PostgreSQL sums a numeric
        for name, *figures in summed
    ]


_READERS: dict[str, Callable[..., list[Row]]] = {
    ACCOUNT: _by_account,
    DAY: _by_time,
    HOUR: _by_time,
}


def call_statistics(*, by: str, start: datetime, end: datetime, zone: tzinfo) -> Counted:
    """The calls from `start` to `end` (included) grouped `by` one of GROUPINGS, days and
    hours cut in `zone`; in a few queries whatever the number of calls."""
    first, last = counted_range(start, end, by=by)
    hours = models.CallHour.objects.filter(hour__gte=first, hour__lt=last)
    rows = _READERS.get(by, _by_value)(hours, by, zone, first, last)
    total = _figures(
        hours.filter(dimension=Dimension.DISPOSITION).aggregate(
            n_calls=Sum("calls", default=0),
            n_answered=Sum("answered", default=0),
            n_duration=Sum("answered_duration", default=0),
        ),
        Figures(),
    )
    rounded = (first, last) != (start, end + timedelta(seconds=1))
    return Counted(rows=rows, total=total, start=first, end=last, rounded=rounded)
