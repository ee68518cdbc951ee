"""Figures kept per UTC hour as rows arrive: each log's rows (and its charts' values), and
the calls by group, route, hangup cause and disposition. The overview and the statistics
page read them instead of the logs, so that they cost the same on a thousand rows as on a
hundred million (docs/statistics.md).

Both are `Aggregate`s (logs/spec.py), kept by the hooks that keep the account's call days
(logging_app/aggregates.py): ingest adds what it stored and recounts what it merged, the
expiry job recounts what it expired, a purge takes away what it deleted, and
`manage.py rebuild_aggregates` recomputes them. Neither depends on account links, so
linking rows to accounts leaves them as they are.

How a tally of figures is written (one statement per batch on PostgreSQL) is shared with
the account's call days: `FigureTable`, `add_figures`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import reduce
from itertools import batched
from operator import or_

from django.db import connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncHour

from . import models
from .logs.spec import Aggregate, LogSpec

# Rows per INSERT … ON CONFLICT: well under SQLite's limit of parameters per statement.
UPSERT_ROWS = 500


@dataclass(frozen=True)
class FigureTable:
    """A table of figures: its key columns, its counters, their PostgreSQL types (the key's
    then the counters'), and the counters that are all 0 or less in a row that counts
    nothing any more (a purge deletes it)."""

    model: type[Model]
    key: tuple[str, ...]
    counters: tuple[str, ...]
    types: tuple[str, ...]
    emptied: tuple[str, ...]

    @property
    def name(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)


def add_figures(
    table: FigureTable, tally: Mapping[tuple, Sequence[int]], *, emptying: bool = False
) -> None:
    """Add the counters of `tally` (key → counters) to the stored rows, creating the
    missing ones. `emptying` (counters taken away): the rows that then count nothing are
    deleted, so that a purged hour leaves no row.

    On PostgreSQL, in one statement whose rows come as one array per column (unnest): a
    batch of 50,000 CDRs may touch as many rows, and a VALUES list per few hundred rows
    cost ingest more than the CDRs themselves. The rows are written in key order, so that
    two transactions adding to the same rows take their locks in the same order and never
    wait on each other in turn.
    """
    if not tally:
        return
    key, counters = ", ".join(table.key), ", ".join(table.counters)
    added = ", ".join(f"{name} = {table.name}.{name} + excluded.{name}" for name in table.counters)
    upsert = f"ON CONFLICT ({key}) DO UPDATE SET {added}"
    rows = [(*row_key, *counts) for row_key, counts in sorted(tally.items())]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}" for kind in table.types)
            returning = f" RETURNING {key}, {', '.join(table.emptied)}" if emptying else ""
            cursor.execute(
                f"INSERT INTO {table.name} ({key}, {counters}) "
                f"SELECT * FROM unnest({arrays}) {upsert}{returning}",
                [_array_literal(column) for column in zip(*rows, strict=True)],
            )
            if emptying:
                width = len(table.key)
                emptied = [row[:width] for row in cursor.fetchall() if max(row[width:]) <= 0]
                _delete_keys(cursor, table, emptied)
            return
        placeholders = "(" + ", ".join(["%s"] * len(table.types)) + ")"
        for chunk in batched(rows, UPSERT_ROWS):
            cursor.execute(
                f"INSERT INTO {table.name} ({key}, {counters}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} {upsert}",
                [_adapted(value) for row in chunk for value in row],
            )
    if emptying:
        emptied = Q(**{f"{counter}__lte": 0 for counter in table.emptied})
        for chunk in batched(sorted(tally), UPSERT_ROWS):
            matching = reduce(or_, (Q(**dict(zip(table.key, key, strict=True))) for key in chunk))
            table.model.objects.filter(matching, emptied).delete()


def _adapted(value: object) -> object:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _array_literal(values: Sequence[object]) -> str:
    """`values` as PostgreSQL's text form of an array: psycopg adapts a list element by
    element, which took longer than storing the rows. Numbers and dates are written bare,
    text quoted."""
    if isinstance(values[0], datetime):
        values = [value.isoformat() for value in values]
    if isinstance(values[0], str):
        values = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(map(str, values)) + "}"


def _delete_keys(cursor, table: FigureTable, keys: Sequence[tuple]) -> None:
    """Delete the rows of `keys` (PostgreSQL), in one DELETE joined to them as arrays: an
    OR of one condition per key, planned anew for every 500 keys, made a purge of 14 days
    of 10M CDRs take minutes instead of seconds.

    The rows are those the upsert just emptied, locked by it: their counters are not
    asked again. Asked, the planner took `calls <= 0` for one row in the table (its
    statistics had seen none) and read the keys once for each row it found: 1.5 s to
    delete a week of 2,000 accounts' week totals, 0.1 s without (docs/benchmarks.md).
    """
    if not keys:
        return
    arrays = ", ".join(f"%s::{kind}" for kind in table.types[: len(table.key)])
    joined = " AND ".join(f"t.{column} = k.{column}" for column in table.key)
    cursor.execute(
        f"DELETE FROM {table.name} AS t USING unnest({arrays}) "
        f"AS k({', '.join(table.key)}) WHERE {joined}",
        [_array_literal(column) for column in zip(*keys, strict=True)],
    )


class CallRates:
    """ASR and ACD of figures that have `calls`, `answered` and `answered_duration`: the
    statistics' rows and the account page's windows alike."""

    calls: int
    answered: int
    answered_duration: int

    @property
    def asr(self) -> float | None:
        """Answer-seizure ratio: answered calls over all calls, in percent."""
        return 100 * self.answered / self.calls if self.calls else None

    @property
    def acd(self) -> int | None:
        """Average call duration of the answered calls, in whole seconds."""
        return round(self.answered_duration / self.answered) if self.answered else None


def take_away(table: FigureTable, tally: Mapping[tuple, Sequence[int]]) -> None:
    """Take the counters of `tally` (key → counters) away from the stored rows, deleting
    those that then count nothing."""
    negated = {key: [-number for number in counts] for key, counts in tally.items()}
    add_figures(table, negated, emptying=True)


def within(column: str, start: object, end: object) -> Q:
    """`column` in [start, end); None: unbounded."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{column}__gte": start})
    if end is not None:
        condition &= Q(**{f"{column}__lt": end})
    return condition


def utc_hour(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    if moment.tzinfo is None:  # SQLite's rows read as naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _rewritten(table: FigureTable, tally: Mapping[tuple, Sequence[int]], **scope) -> int:
    """Replace the rows of `scope` (column → value) by `tally`; returns the rows written."""
    with transaction.atomic():
        table.model.objects.filter(**scope).delete()
        add_figures(table, tally)
    return len(tally)


# --- Each log's rows per hour -------------------------------------------------------------

LOG_HOURS = FigureTable(
    model=models.LogHour,
    key=("log", "hour", "field", "value"),
    counters=("rows",),
    types=("text[]", "timestamptz[]", "text[]", "text[]", "bigint[]"),
    emptied=("rows",),
)


ROWS_PER_HOUR = "rows per hour"


def rows_per_hour(spec: LogSpec) -> Aggregate:
    """The log's rows per UTC hour, and per value of each field its charts count."""
    log, time_field = spec.slug, spec.time_field
    fields = tuple(dict.fromkeys(chart.field for chart in spec.charts))

    def count(rows: Iterable[Mapping[str, object]], sign: int) -> None:
        tally: dict[tuple, list[int]] = defaultdict(lambda: [0])
        for row in rows:
            hour = utc_hour(row[time_field])
            tally[log, hour, "", ""][0] += sign
            for name in fields:
                tally[log, hour, name, str(row[name])][0] += sign
        add_figures(LOG_HOURS, tally, emptying=sign < 0)

    def tally(rows: QuerySet) -> dict[tuple, list[int]]:
        hours = rows.annotate(hour=TruncHour(time_field, tzinfo=UTC))
        tally = {
            (log, row["hour"], "", ""): [row["rows"]]
            for row in hours.values("hour").annotate(rows=Count("pk")).order_by()
        }
        for name in fields:
            by_value = hours.values("hour", name).annotate(rows=Count("pk")).order_by()
            tally.update(
                ((log, row["hour"], name, str(row[name])), [row["rows"]]) for row in by_value
            )
        return tally

    def rebuild() -> int:
        return _rewritten(LOG_HOURS, tally(spec.model.objects.all()), log=log)

    def forget(start: datetime | None, end: datetime | None) -> None:
        LOG_HOURS.model.objects.filter(within("hour", start, end), log=log).delete()

    return Aggregate(
        ROWS_PER_HOUR,
        (time_field, *fields),
        count,
        rebuild,
        forget=forget,
        uncount=lambda rows: take_away(LOG_HOURS, tally(rows)),
    )


# --- Calls per hour, by group, route, hangup cause and disposition ------------------------

CALL_HOURS = FigureTable(
    model=models.CallHour,
    key=("hour", "dimension", "value"),
    counters=("calls", "answered", "answered_duration"),
    types=("timestamptz[]", "text[]", "text[]", "bigint[]", "bigint[]", "bigint[]"),
    emptied=("calls",),
)
# The CDR values the call hours read.
CALL_HOUR_FIELDS = (
    "call_date",
    "disposition",
    "hangup_cause",
    "call_duration",
    "caller_group",
    "callee_group",
    "call_route",
)
Dimension = models.CallDimension
ANSWERED = models.Disposition.ANSWERED


def call_values(row: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    """The (dimension, value) pairs a CDR counts in: its disposition, hangup cause and
    route, and each of its groups once (none: the empty group)."""
    yield Dimension.DISPOSITION, row["disposition"]
    yield Dimension.HANGUP_CAUSE, row["hangup_cause"]
    yield Dimension.ROUTE, row["call_route"]
    groups = {row["caller_group"], row["callee_group"]} - {""}
    for group in sorted(groups) or [""]:
        yield Dimension.GROUP, group


def count_call_hours(rows: Iterable[Mapping[str, object]], sign: int) -> None:
    """Add (`sign` 1) or take away (-1) CDRs, given by their CALL_HOUR_FIELDS."""
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        hour = utc_hour(row["call_date"])
        answered = row["disposition"] == ANSWERED
        duration = row["call_duration"] if answered else 0
        for dimension, value in call_values(row):
            counts = tally[hour, dimension, value]
            counts[0] += sign
            counts[1] += sign * answered
            counts[2] += sign * duration
    add_figures(CALL_HOURS, tally, emptying=sign < 0)


def _call_hours_of(rows: QuerySet) -> dict[tuple, list[int]]:
    """The calls per hour of the CDRs `rows`: the database groups them, one query per
    dimension (two for the groups: the caller's, then the callee's when it is another
    one)."""
    cdrs = rows.annotate(hour=TruncHour("call_date", tzinfo=UTC))
    answered = Q(disposition=ANSWERED)
    figures = {
        "calls": Count("pk"),
        "answered": Count("pk", filter=answered),
        "duration": Sum("call_duration", filter=answered, default=0),
    }
    by_value = [
        (Dimension.DISPOSITION, cdrs.annotate(value=F("disposition"))),
        (Dimension.HANGUP_CAUSE, cdrs.annotate(value=F("hangup_cause"))),
        (Dimension.ROUTE, cdrs.annotate(value=F("call_route"))),
        (
            Dimension.GROUP,
            cdrs.filter(~Q(caller_group="") | Q(callee_group="")).annotate(value=F("caller_group")),
        ),
        (
            Dimension.GROUP,
            cdrs.exclude(callee_group="")
            .exclude(callee_group=F("caller_group"))
            .annotate(value=F("callee_group")),
        ),
    ]
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for dimension, rows in by_value:
        for row in rows.values("hour", "value").annotate(**figures).order_by():
            counts = tally[row["hour"], dimension, row["value"]]
            counts[0] += row["calls"]
            counts[1] += row["answered"]
            counts[2] += row["duration"]
    return tally


def rebuild_call_hours() -> int:
    """Recompute the calls per hour from the CDR table."""
    return _rewritten(CALL_HOURS, _call_hours_of(models.CallDetailRecord.objects.all()))


def forget_call_hours(start: datetime | None, end: datetime | None) -> None:
    CALL_HOURS.model.objects.filter(within("hour", start, end)).delete()


def uncount_call_hours(rows: QuerySet) -> None:
    take_away(CALL_HOURS, _call_hours_of(rows))


CALL_HOUR_AGGREGATE = Aggregate(
    "calls per hour by group, route, hangup cause and disposition",
    fields=CALL_HOUR_FIELDS,
    count=count_call_hours,
    rebuild=rebuild_call_hours,
    forget=forget_call_hours,
    uncount=uncount_call_hours,
)

# The aggregates of this module, by name (what migration 0011 fills).
HOURLY = frozenset({ROWS_PER_HOUR, CALL_HOUR_AGGREGATE.name})
