"""Figures kept as rows arrive: each account's calls per UTC day, by outcome, and the
same days and weeks all outcomes together (what the statistics page sums by account).

The account page's diagnosis (calls, answered, ASR, ACD and hangup causes today, over 7
and over 30 days) reads them instead of the CDR table, so that it costs the same for an
account with a million calls as for one with ten. They are exact because they change in
the transaction that changes the rows they count:

- ingest adds the CDRs it stored (a replayed CDR is not stored again, so not counted
  again: logging_app/ingest/batches.py);
- account ingest adds the stored CDRs it links to an account they name
  (logging_app/ingest/accounts.py);
- a purge takes away the CDRs it deleted (logging_app/jobs/purge.py);
- deleting an account deletes its figures, as Django clears its CDRs' links.

`manage.py rebuild_aggregates` recomputes them from the rows.

Days are UTC days, and the diagnosis' windows are whole UTC days up to now: "Today" is
since UTC midnight, shown in the viewer's zone with its start. A window that ends or starts
elsewhere would need its partial days counted from the CDR table.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from . import models
from .figures import CallRates, FigureTable, add_figures, take_away, within

# A CDR's links, and whether the linked account made the call (else received it).
CALL_LINKS = (("caller_account_id", True), ("callee_account_id", False))
# The CDR values the counts read.
CALL_FIELDS = (
    "call_date",
    "caller_account_id",
    "callee_account_id",
    "disposition",
    "hangup_cause",
    "call_duration",
)
ANSWERED = models.Disposition.ANSWERED


def _utc_day(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite's rows read as naive UTC
        return moment.date()
    return moment.astimezone(UTC).date()


# The counters of a day's row: calls made, calls received, and their durations.
COUNTERS = ("made", "received", "made_duration", "received_duration")
_MADE, _RECEIVED, _MADE_DURATION, _RECEIVED_DURATION = range(len(COUNTERS))


def count_calls(rows: Iterable[Mapping[str, object]], sign: int) -> None:
    """Add (`sign` 1) or take away (-1) CDRs, given by their CALL_FIELDS, from the figures
    of the accounts they are linked to."""
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        day = None
        for link, made in CALL_LINKS:
            account = row.get(link)
            if account is None:
                continue
            day = day or _utc_day(row["call_date"])
            counts = tally[account, day, row["disposition"], row["hangup_cause"]]
            counts[_MADE if made else _RECEIVED] += sign
            counts[_MADE_DURATION if made else _RECEIVED_DURATION] += sign * row["call_duration"]
    totals = _totals(tally)
    weeks = _weeks(totals)
    add_figures(ACCOUNT_CALL_DAYS, tally, emptying=sign < 0)
    add_figures(ACCOUNT_CALL_TOTALS, totals, emptying=sign < 0)
    add_figures(ACCOUNT_CALL_WEEKS, weeks, emptying=sign < 0)


_KEY = ("account_id", "day", "disposition", "hangup_cause")
ACCOUNT_CALL_DAYS = FigureTable(
    model=models.AccountCallDay,
    key=_KEY,
    counters=COUNTERS,
    types=("bigint[]", "date[]", "text[]", "text[]", "int[]", "int[]", "bigint[]", "bigint[]"),
    emptied=("made", "received"),
)
# The same days, all outcomes together (what the statistics page sums by account).
TOTALS = ("calls", "answered", "answered_duration")
ACCOUNT_CALL_TOTALS = FigureTable(
    model=models.AccountCallTotal,
    key=("account_id", "day"),
    counters=TOTALS,
    types=("bigint[]", "date[]", "bigint[]", "bigint[]", "bigint[]"),
    emptied=("calls",),
)


# The same calls per account and UTC week (from Monday): a month by account sums a few
# rows an account, and the days at its ends.
ACCOUNT_CALL_WEEKS = FigureTable(
    model=models.AccountCallWeek,
    key=("account_id", "week"),
    counters=TOTALS,
    types=("bigint[]", "date[]", "bigint[]", "bigint[]", "bigint[]"),
    emptied=("calls",),
)


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def whole_weeks(first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """The whole weeks among the days [first, last) (None: unbounded), as the Mondays
    [from, until): the days before `from` and from `until` on are the range's edges. No
    whole week: `last` twice, so that the days before it are all edge."""
    weeks_from = first and week_of(first + timedelta(days=6))  # the first Monday from `first`
    weeks_until = last and week_of(last)  # the weeks before its own end by `last`
    if weeks_from and weeks_until and weeks_from >= weeks_until:
        return last, last
    return weeks_from, weeks_until


def _weeks(totals: Mapping[tuple, Sequence[int]]) -> dict[tuple, list[int]]:
    """Day totals (account, day) → TOTALS summed by week: (account, Monday) → TOTALS."""
    weeks: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (account, day), counts in totals.items():
        summed = weeks[account, week_of(day)]
        for index, number in enumerate(counts):
            summed[index] += number
    return weeks


def _totals(tally: Mapping[tuple, Sequence[int]]) -> dict[tuple, list[int]]:
    """A tally of call days summed over the outcomes: (account, day) → TOTALS. Made from
    the call days' tally in memory, so that keeping them reads no row again."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (account, day, disposition, _cause), counts in tally.items():
        calls = counts[_MADE] + counts[_RECEIVED]
        summed = totals[account, day]
        summed[0] += calls
        if disposition == ANSWERED:
            summed[1] += calls
            summed[2] += counts[_MADE_DURATION] + counts[_RECEIVED_DURATION]
    return totals


def total_call_days_sql(days: str, totals: str) -> str:
    """SQL: fill the table `totals` from the call days of the table `days` (both quoted),
    summing each account's day over its outcomes (a rebuild, migration 0014)."""
    calls = "made + received"
    answered = f"CASE WHEN disposition = '{ANSWERED}' THEN {{}} ELSE 0 END"
    return (
        f"INSERT INTO {totals} (account_id, day, {', '.join(TOTALS)}) "
        f"SELECT account_id, day, SUM({calls}), SUM({answered.format(calls)}), "
        f"SUM({answered.format('made_duration + received_duration')}) "
        f"FROM {days} GROUP BY account_id, day"
    )


def week_totals_sql(totals: str, weeks: str) -> str:
    """SQL: fill the table `weeks` from the day totals of the table `totals` (both quoted),
    summing each account's days by week (a rebuild, migration 0016)."""
    if connection.vendor == "postgresql":
        week = "date_trunc('week', day::timestamp)::date"
    else:  # SQLite: the Monday on or after six days before, the day's own
        week = "date(day, '-6 days', 'weekday 1')"
    sums = ", ".join(f"SUM({name})" for name in TOTALS)
    return (
        f"INSERT INTO {weeks} (account_id, week, {', '.join(TOTALS)}) "
        f"SELECT account_id, {week}, {sums} FROM {totals} GROUP BY account_id, {week}"
    )


def _grouped_calls(table: str) -> str:
    """SQL: the figures of the calls of `table` (the CDR table or one of its partitions),
    grouped by the database: (account_id, day, disposition, hangup_cause, *COUNTERS)."""
    if connection.vendor == "postgresql":
        day = "(call_date AT TIME ZONE 'UTC')::date"
    else:  # SQLite keeps UTC date-times as text
        day = "date(call_date)"
    sides = [
        f"SELECT {link} AS account_id, {day} AS day, disposition, hangup_cause, "
        f"{1 if made else 0} AS made, {0 if made else 1} AS received, "
        f"{'call_duration' if made else 0} AS made_duration, "
        f"{0 if made else 'call_duration'} AS received_duration "
        f"FROM {table} WHERE {link} IS NOT NULL"
        for link, made in CALL_LINKS
    ]
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    key = ", ".join(_KEY)
    return f"SELECT {key}, {sums} FROM ({' UNION ALL '.join(sides)}) AS calls GROUP BY {key}"


def rebuild_calls() -> int:
    """Recompute every account's figures from the CDR table, in one statement (the
    database groups the rows); returns the rows written."""
    quote = connection.ops.quote_name
    table = quote(models.AccountCallDay._meta.db_table)
    grouped = _grouped_calls(quote(models.CallDetailRecord._meta.db_table))
    totals = quote(models.AccountCallTotal._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} ({', '.join(_KEY)}, {', '.join(COUNTERS)}) {grouped}")
        written = cursor.rowcount
        cursor.execute(f"DELETE FROM {totals}")
        cursor.execute(total_call_days_sql(table, totals))
        written += cursor.rowcount
        cursor.execute(f"DELETE FROM {ACCOUNT_CALL_WEEKS.name}")
        cursor.execute(week_totals_sql(totals, ACCOUNT_CALL_WEEKS.name))
        return written + cursor.rowcount


def uncount_calls(rows: QuerySet) -> None:
    """Take away the CDRs `rows` (those of a time sub-partition about to be dropped), grouped
    by the database: each group is one figure to lower."""
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    day = TruncDate("call_date", tzinfo=UTC)
    for link, made in CALL_LINKS:
        account = link.removesuffix("_id")
        grouped = (
            rows.filter(**{f"{account}__isnull": False})
            .annotate(day=day)
            .values(account, "day", "disposition", "hangup_cause")
            .annotate(calls=Count("pk"), duration=Sum("call_duration"))
            .order_by()
        )
        for row in grouped:
            counts = tally[row[account], row["day"], row["disposition"], row["hangup_cause"]]
            counts[_MADE if made else _RECEIVED] += row["calls"]
            counts[_MADE_DURATION if made else _RECEIVED_DURATION] += row["duration"]
    totals = _totals(tally)
    take_away(ACCOUNT_CALL_DAYS, tally)
    take_away(ACCOUNT_CALL_TOTALS, totals)
    take_away(ACCOUNT_CALL_WEEKS, _weeks(totals))


def forget_calls(start: datetime | None, end: datetime | None) -> None:
    """Delete the figures of the days in [start, end) (UTC midnights; None: unbounded)."""
    first, last = start and start.date(), end and end.date()
    # The weeks wholly among the days go with them, deleted as a range (a week's partition
    # is one); a week that begins or ends outside them loses their days' share of it.
    weeks_from, weeks_until = whole_weeks(first, last)
    edges = []
    if first:
        edges.append(within("day", first, weeks_from))
    if last:
        edges.append(within("day", weeks_until, last))
    if edges:
        shares = models.AccountCallTotal.objects.filter(reduce(or_, edges)).values_list(
            "account_id", "day", *TOTALS
        )
        take_away(ACCOUNT_CALL_WEEKS, _weeks({(a, d): counts for a, d, *counts in shares}))
    models.AccountCallWeek.objects.filter(within("week", weeks_from, weeks_until)).delete()
    days = within("day", first, last)
    models.AccountCallDay.objects.filter(days).delete()
    models.AccountCallTotal.objects.filter(days).delete()


# --- Reading them: an account's calls today, over 7 and over 30 days ---------------------

# A window's label, and its UTC days: today's and the days before it.
WINDOWS = (("Today", 1), ("7 days", 7), ("30 days", 30))
# The hangup causes a window names, most frequent first.
TOP_CAUSES = 3


@dataclass
class CallWindow(CallRates):
    """An account's calls since `since`, by Disposition and Hangup Cause."""

    label: str
    since: datetime
    made: int = 0
    received: int = 0
    answered: int = 0
    answered_duration: int = 0
    by_cause: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def calls(self) -> int:
        return self.made + self.received

    @property
    def top_causes(self) -> list[tuple[str, int]]:
        ranked = sorted(self.by_cause.items(), key=lambda item: (-item[1], item[0]))
        return [(cause, count) for cause, count in ranked if count][:TOP_CAUSES]

    def add(
        self, disposition: str, cause: str, made: int, received: int, made_s: int, received_s: int
    ) -> None:
        self.made += made
        self.received += received
        self.by_cause[cause] += made + received
        if disposition == ANSWERED:
            self.answered += made + received
            self.answered_duration += made_s + received_s


def call_windows(account_id: int, now: datetime) -> list[CallWindow]:
    """The account's calls over each of WINDOWS: since UTC midnight of its first day, read
    from the figures alone, in one query.

    The windows start at a midnight so that no partial day is read from the CDR table: at
    10M CDRs a month, the busy account's calls of the hours since `now` minus 24 hours were
    30,000 rows, 80 ms to count (docs/benchmarks.md). A window holds every call stored
    since its start, as the CDR list given that `since` and no `until` shows them.
    """
    today = datetime.combine(_utc_day(now), time(), tzinfo=UTC)
    windows = [CallWindow(label, today - timedelta(days=days - 1)) for label, days in WINDOWS]
    # A month of one account's days: a few rows a day, each added to the windows it is in.
    days = models.AccountCallDay.objects.filter(
        account_id=account_id, day__gte=min(window.since for window in windows).date()
    ).values_list("day", "disposition", "hangup_cause", *COUNTERS)
    for day, disposition, cause, *counts in days:
        for window in windows:
            if day >= window.since.date():
                window.add(disposition, cause, *counts)
    return windows
