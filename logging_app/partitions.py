"""Time partitions of the large logs, on PostgreSQL.

A log whose spec declares `partitioning` (the CDR, SIP sessions, web sessions) keeps its
rows in a table range-partitioned by its time field:

- a partition per period of PARTITION_DAYS_<LOG> days (the spec's `days` by default),
  periods counted from Monday 1970-01-05 UTC, so that weekly ones run Monday to Monday;
- `<table>_default`, PostgreSQL's DEFAULT partition: a record of a date no partition covers
  (a clock far off, a backfill of old records) is stored there, so ingest never fails for
  want of a partition;
- on a database that had rows before partitioning, `<table>_legacy`: the old table itself,
  from the beginning of time to the first period after its newest row.

`keep_partitions` (run by the worker, and by the migration) makes the partitions of the
current and next periods before records arrive for them, moving into each the rows the
default partition holds in its range. A log with `apart` rows (the CDR's direct calls,
which the CDR policy purges sooner than conferences and 3-way calls) splits each period
into two sub-partitions by that field, so that the purge drops the direct calls of a
period whole and keeps the rest.

A partitioned table's unique keys must include its partition keys: the row's id and its
ingest key (`event_id`) are unique with the time (and the `apart` field). A replay of a
record carries its time and call type again, so it is still refused as a duplicate
(docs/partitions.md). SQLite keeps plain tables: everything here does nothing there.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from time import monotonic, sleep

from django.conf import settings
from django.db import OperationalError, connection, connections, models, transaction
from django.db.models import Model, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.db.models.sql.where import AND, WhereNode
from psycopg.errors import LockNotAvailable

from .figures import within
from .logs import LOGS, LogSpec
from .models import LogHour

# Periods are counted from a Monday, so that 7-day partitions are calendar weeks.
EPOCH = datetime(1970, 1, 5, tzinfo=UTC)
# Periods made ahead of the current one.
AHEAD = 2
# What DDL waits for a lock on a log's table before giving up (and trying at the next run):
# a partition dropped never holds ingest or the pages for longer.
LOCK_TIMEOUT = "2s"
# A drop's detach takes the log table's exclusive lock until it commits, and while it waits
# for it, ingest and pages queue behind it: it waits this long, and the drop is tried again
# DETACH_TRIES times, DETACH_PAUSE seconds apart (an autovacuum of the partition yields).
DETACH_LOCK_TIMEOUT = "200ms"
DETACH_TRIES = 5
DETACH_PAUSE = 0.5
_BOUND = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: from the beginning of time (MINVALUE), or DEFAULT
    end: datetime | None  # None: to the end of time, or DEFAULT
    default: bool = False
    rows: float = 0  # the planner's estimate of its leaves' rows, when asked for

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether this partition holds any of [start, end)."""
        if self.default:
            return False
        return (self.start is None or self.start < end) and (self.end is None or start < self.end)


def partitioned_logs() -> list[LogSpec]:
    return [spec for spec in LOGS.values() if spec.partitioning is not None]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def is_partitioned(model: type[Model]) -> bool:
    """Whether the model's table is partitioned (PostgreSQL, after the migration)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [_table(model)])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def period_days(spec: LogSpec) -> int:
    return settings.PARTITION_DAYS.get(spec.slug) or spec.partitioning.days


def period_of(spec: LogSpec, moment: datetime) -> tuple[datetime, datetime]:
    """The period holding `moment`: [start, end)."""
    length = timedelta(days=period_days(spec))
    start = EPOCH + ((moment - EPOCH) // length) * length
    return start, start + length


def _bound(text: str) -> datetime | None:
    text = text.strip()
    if text == "MINVALUE" or text == "MAXVALUE":
        return None
    # '2026-11-23 00:00:00+00', in the session's zone (Django's connections use UTC).
    return datetime.fromisoformat(text.strip("'")).astimezone(UTC)


def partitions_of(
    model: type[Model], *, using: str = "default", rows: bool = False
) -> list[Partition]:
    """The partitions of the model's table, oldest first, the default one last; with the
    planner's estimate of their rows if `rows` (kept by ANALYZE; 0 before the first)."""
    estimate = (
        "(SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) FROM pg_partition_tree(c.oid) t "
        "JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)"
        if rows
        else "0"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), {estimate} "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [_table(model)],
        )
        listed = cursor.fetchall()
    found = []
    for name, bound, estimated in listed:
        if bound == "DEFAULT":
            found.append(Partition(name, None, None, default=True, rows=float(estimated)))
        elif match := _BOUND.fullmatch(bound):
            found.append(Partition(name, _bound(match[1]), _bound(match[2]), rows=float(estimated)))
    first = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: (p.default, p.start or first))


def _lock(model: type[Model]) -> None:
    """Hold the table's partition lock until the transaction ends: one maker at a time."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{_table(model)}"]
        )
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def _gaps(existing: list[Partition], start: datetime, end: datetime) -> Iterator[tuple]:
    """The parts of [start, end) no partition covers (a change of PARTITION_DAYS leaves a
    period partly covered by partitions of the old size)."""
    cursor = start
    for partition in existing:
        if partition.covers(cursor, end):
            if partition.start is not None and cursor < partition.start:
                yield cursor, partition.start
            cursor = max(cursor, partition.end) if partition.end else end
    if cursor < end:
        yield cursor, end


def make_partition(spec: LogSpec, start: datetime, end: datetime) -> list[str]:
    """Make the partitions of `spec` covering [start, end) where none does yet; returns the
    names made. Rows of that range in the default partition move into them."""
    model = spec.model
    table, time = _table(model), model._meta.get_field(spec.time_field).column
    made = []
    with transaction.atomic():
        _lock(model)
        existing = partitions_of(model)
        default = next((p.name for p in existing if p.default), None)
        for low, high in _gaps(existing, start, end):
            name = f"{table}_p{low:%Y%m%d}"
            within = f"{_quote(time)} >= %s AND {_quote(time)} < %s"
            with connection.cursor() as cursor:
                apart = spec.partitioning.apart
                partitioned_by = f" PARTITION BY LIST ({_quote(apart[0])})" if apart else ""
                cursor.execute(
                    f"CREATE TABLE {_quote(name)} (LIKE {_quote(table)} INCLUDING DEFAULTS "
                    f"INCLUDING CONSTRAINTS){partitioned_by}"
                )
                leaves = [name]
                if apart:
                    values = ", ".join(["%s"] * len(apart[1]))
                    cursor.execute(
                        f"CREATE TABLE {_quote(name + '_apart')} PARTITION OF {_quote(name)} "
                        f"FOR VALUES IN ({values})",
                        list(apart[1]),
                    )
                    cursor.execute(
                        f"CREATE TABLE {_quote(name + '_rest')} PARTITION OF {_quote(name)} DEFAULT"
                    )
                    leaves = [name + "_apart", name + "_rest"]
                if default:
                    # The default partition may hold rows of this range: they move first, or
                    # attaching the partition would fail.
                    cursor.execute(
                        f"WITH moved AS (DELETE FROM {_quote(default)} WHERE {within} "
                        f"RETURNING *) INSERT INTO {_quote(name)} SELECT * FROM moved",
                        [low, high],
                    )
                cursor.execute(
                    f"ALTER TABLE {_quote(table)} ATTACH PARTITION {_quote(name)} "
                    "FOR VALUES FROM (%s) TO (%s)",
                    [low, high],
                )
                _copy_statistics(cursor, table, leaves)
            made.append(name)
    return made


def _copy_statistics(cursor, table: str, leaves: list[str]) -> None:
    """The table's extended statistics, made again on each new leaf partition: PostgreSQL
    plans a partition's scan with the partition's own statistics (docs/benchmarks.md: the
    number search needs the CDR's)."""
    cursor.execute(
        "SELECT s.stxname, pg_get_statisticsobjdef_columns(s.oid), s.stxkind "
        "FROM pg_statistic_ext s WHERE s.stxrelid = to_regclass(%s)",
        [table],
    )
    kinds = {"d": "dependencies", "f": "mcv", "m": "mcv", "n": "ndistinct"}
    for name, columns, stxkind in cursor.fetchall():
        wanted = ", ".join(sorted({kinds[kind] for kind in stxkind if kind in kinds}))
        for leaf in leaves:
            cursor.execute(
                f"CREATE STATISTICS IF NOT EXISTS {_quote(f'{leaf}_{name}'[:63])} ({wanted}) "
                f"ON {columns} FROM {_quote(leaf)}"
            )


@dataclass
class KeepResult:
    made: list[str]

    def __str__(self) -> str:
        if not self.made:
            return "keep_partitions: every partition needed exists"
        return f"keep_partitions: made {len(self.made)} partitions: {', '.join(self.made)}"


def keep_partitions(*, now: datetime | None = None) -> KeepResult:
    """Make the partitions of the current and the next AHEAD periods of each partitioned
    log, where they are missing. Idempotent: the worker runs it every hour."""
    now = now or datetime.now(UTC)
    made: list[str] = []
    for spec in partitioned_logs():
        if not is_partitioned(spec.model):
            continue
        start, end = period_of(spec, now)
        length = end - start
        for ahead in range(AHEAD + 1):
            made += make_partition(spec, start + ahead * length, end + ahead * length)
    return KeepResult(made)


# --- Retention: whole partitions dropped ----------------------------------------------------


@dataclass(frozen=True)
class Dropped:
    name: str
    rows: int
    # The detach's transaction: the partition's figures taken away, then the partition
    # detached, the log's table locked from the detach to the commit.
    seconds: float = 0.0
    # The detached table dropped, its files freed, in a transaction of its own that locks
    # nothing the log's readers and writers use.
    freed_seconds: float = 0.0


def _detach(spec: LogSpec, name: str, parent: str, partition: Partition, *, apart: bool) -> int:
    """Detach partition `name` from `parent`, its rows first taken from the log's
    aggregates; returns how many rows it held. One transaction: the figures never lose rows
    that are still in the log, nor keep rows that are no longer.

    A whole time partition holds every row of its period, whose edges are UTC midnights:
    the figures of those hours and days are deleted outright. An `apart` sub-partition
    holds only some of them: its rows are grouped by the database and taken away.

    The detached table is dropped afterwards, by `_drop_table`: freeing a week's files
    (about 1.5 GB at 10M CDRs a month) took 1.3 s in the commit of the DROP, and a detach and
    drop in one transaction held the log's table locked, ingest and pages waiting, until
    that commit ended (docs/benchmarks.md).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # No row may arrive (a backfill) between the count and the detach.
        cursor.execute(f"LOCK TABLE {_quote(name)} IN SHARE MODE")
        if apart:
            cursor.execute(f"SELECT count(*) FROM {_quote(name)}")
            (rows,) = cursor.fetchone()
        else:
            # The log's hours count every row of the period, kept in the rows' transactions:
            # counting a week of 2.3M CDRs instead took 0.7 s of the drop's 1.1.
            hours = LogHour.objects.filter(
                within("hour", partition.start, partition.end), log=spec.slug, field=""
            )
            rows = hours.aggregate(rows=Sum("rows", default=0))["rows"]
        for aggregate in spec.aggregates:
            if apart:
                field, values = spec.partitioning.apart
                period = Q(**{f"{field}__in": values}) & within(
                    spec.time_field, partition.start, partition.end
                )
                aggregate.uncount(spec.model._base_manager.filter(period))
            else:
                aggregate.forget(partition.start, partition.end)
        _delete_dependents(spec.model, name)
        cursor.execute(f"SET LOCAL lock_timeout = '{DETACH_LOCK_TIMEOUT}'")
        cursor.execute(f"ALTER TABLE {_quote(parent)} DETACH PARTITION {_quote(name)}")
    return rows


def _drop_table(name: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_quote(name)}")


def _detached(model: type[Model]) -> list[str]:
    """The log's partitions detached and not dropped (a purge stopped between the two):
    its tables named as its partitions are that are no partition of anything."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE starts_with(relname, %s) "
            "AND relkind IN ('r', 'p') AND NOT relispartition "
            "AND relnamespace = current_schema()::regnamespace ORDER BY relname",
            [_table(model) + "_p"],
        )
        return [name for (name,) in cursor.fetchall()]


def _delete_dependents(model: type[Model], partition: str) -> None:
    """Delete the rows that go with the partition's rows when they are deleted (a Security
    event's SIEM outbox row), as Django's deletion would: no database constraint does it."""
    for relation in model._meta.related_objects:
        if relation.on_delete is not models.CASCADE:
            continue
        ids = RawSQL(f"SELECT id FROM {_quote(partition)}", [])
        relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids}).delete()


def drop_expired_partitions(
    spec: LogSpec, *, before: datetime | None, apart_before: datetime | None, now: datetime
) -> list[Dropped]:
    """Drop the partitions of `spec` wholly older than `before` (its retention), and the
    `apart` sub-partitions wholly older than `apart_before` (its own rules: the CDR policy's
    direct calls). A partition that ends after `now` is never dropped: its period is still
    being written. The rows of a partition partly expired are left to the purge's deletes.
    """
    if not is_partitioned(spec.model):
        return []
    table = _table(spec.model)
    for name in _detached(spec.model):
        _drop_table(name)
    dropped = []
    for partition in partitions_of(spec.model):
        if partition.default or partition.end is None or partition.end > now:
            continue
        if before is not None and partition.end <= before:
            dropped.append(_dropped(spec, partition.name, table, partition, apart=False))
        elif (
            apart_before is not None
            and spec.partitioning.apart
            and partition.end <= apart_before
            and _has_apart(partition.name)
        ):
            name = partition.name + "_apart"
            dropped.append(_dropped(spec, name, partition.name, partition, apart=True))
    return dropped


def _dropped(spec: LogSpec, name: str, parent: str, partition: Partition, *, apart: bool):
    """`_detach`, tried again while it cannot have the table's lock at once; then the
    detached table dropped."""
    attempt = 1
    while True:
        started = monotonic()
        try:
            rows = _detach(spec, name, parent, partition, apart=apart)
        except OperationalError as error:
            if not isinstance(error.__cause__, LockNotAvailable) or attempt >= DETACH_TRIES:
                raise
            attempt += 1
            sleep(DETACH_PAUSE)
        else:
            detached = monotonic()
            _drop_table(name)
            return Dropped(name, rows, detached - started, monotonic() - detached)


def _has_apart(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name + "_apart"])
        return cursor.fetchone()[0]


# --- Reading: a query walked partition by partition, newest first ----------------------------
#
# A query with no bound on the time column is planned over every leaf partition: 4 ms of
# planning on 36 leaves with 13 indexes each, warm, per statement (docs/partitions.md).
# The pages' queries read rows in time order and stop after a page of them, so they are
# run window by window instead, each window the range of one partition, whose query
# PostgreSQL prunes to that partition's leaves when it plans it (0.3 ms): a busy account's
# first page comes from the newest window alone, a rare account's from a few more.

# How long the partitions read from the catalogue are kept by a process. The windows cover
# the whole time line whatever partitions are made or dropped meanwhile (a stale list only
# splits it less finely), so the cache is never wrong, only coarser.
BOUNDS_CACHE_SECONDS = 60
# A window holds at least about this many rows, by the planner's estimates (ANALYZE's): the
# windows of partitions that hold fewer, a log little written or not yet, are read as one,
# in one query instead of one each.
MIN_WINDOW_ROWS = 100_000
_bounds_cache: dict[tuple[str, str], tuple[float, list[datetime], list[Partition]]] = {}

Window = tuple[datetime | None, datetime | None]  # [start, end), None: unbounded


def _catalogued(model: type[Model], using: str) -> tuple[list[datetime], list[Partition]]:
    """The times where one range partition of the model's table ends and another starts,
    in order, and its partitions with their estimated rows; ([], []) when the table is not
    partitioned (SQLite, or before the migration)."""
    key = (using, _table(model))
    cached = _bounds_cache.get(key)
    if cached is not None and cached[0] > monotonic():
        return cached[1], cached[2]
    found: set[datetime] = set()
    partitions: list[Partition] = []
    if connections[using].vendor == "postgresql":
        partitions = partitions_of(model, using=using, rows=True)
        for partition in partitions:
            found.update(edge for edge in (partition.start, partition.end) if edge is not None)
    bounds = sorted(found)
    _bounds_cache[key] = (monotonic() + BOUNDS_CACHE_SECONDS, bounds, partitions)
    return bounds, partitions


def _boundaries(model: type[Model], using: str) -> list[datetime]:
    return _catalogued(model, using)[0]


def _estimated_rows(partitions: list[Partition], window: Window) -> float:
    """The rows of the partitions that hold any of `window`, by their estimates; the
    default partition's rows lie outside the others, with the unbounded windows."""
    start, end = window

    def holds(partition: Partition) -> bool:
        if partition.default:
            return start is None or end is None
        return (partition.start is None or end is None or partition.start < end) and (
            partition.end is None or start is None or start < partition.end
        )

    return sum(partition.rows for partition in partitions if holds(partition))


def forget_boundaries() -> None:
    """Read the partitions from the catalogue again at the next query (tests, DDL)."""
    _bounds_cache.clear()


def time_windows(
    model: type[Model],
    *,
    using: str = "default",
    low: datetime | None = None,
    high: datetime | None = None,
    now: datetime | None = None,
) -> list[Window]:
    """The model's time line cut at its partitions' edges, newest window first, only the
    windows that may hold rows between `low` and `high` (inclusive; None: unbounded).

    The windows join end to end and cover all time, so that a query walked through them
    reads every row once. The periods from the current one on (those made ahead, and the
    default partition's future) make one window: they hold few rows, if any.
    """
    bounds = _boundaries(model, using)
    now = now or datetime.now(UTC)
    edges: list[datetime | None] = [None, *(edge for edge in bounds if edge <= now), None]
    windows = list(pairwise(edges))
    return [
        (start, end)
        for start, end in reversed(windows)
        if (end is None or low is None or end > low)
        and (start is None or high is None or start <= high)
    ]


_LOW = (GreaterThan, GreaterThanOrEqual)
_HIGH = (LessThan, LessThanOrEqual)


def _time_bounds(where: WhereNode, column: str) -> tuple[datetime | None, datetime | None]:
    """The bounds the conditions of `where` that every row must meet put on `column`
    (the lookups joined by AND at any depth; a bound under an OR or a NOT is not one)."""
    low = high = None
    if where.connector != AND or where.negated:
        return None, None
    for child in where.children:
        if isinstance(child, WhereNode):
            inner_low, inner_high = _time_bounds(child, column)
        elif (
            isinstance(child, _LOW + _HIGH)
            and getattr(child.lhs, "target", None) is not None
            and child.lhs.target.column == column
            and isinstance(child.rhs, datetime)
        ):
            inner_low, inner_high = (
                (child.rhs, None) if isinstance(child, _LOW) else (None, child.rhs)
            )
        else:
            continue
        if inner_low is not None and (low is None or inner_low > low):
            low = inner_low
        if inner_high is not None and (high is None or inner_high < high):
            high = inner_high
    return low, high


def bounds_of(queryset: QuerySet, column: str) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest time (inclusive; None: unbounded) the rows of `queryset`
    may have in `column`, as its filter bounds them."""
    return _time_bounds(queryset.query.where, column)


def _filled(windows: list[Window], partitions: list[Partition]) -> list[Window]:
    """`windows` (newest first), each joined to the older ones after it until it holds
    about MIN_WINDOW_ROWS rows."""
    filled: list[Window] = []
    rows = 0.0
    for window in windows:
        if filled and rows < MIN_WINDOW_ROWS:
            filled[-1] = (window[0], filled[-1][1])
        else:
            filled.append(window)
            rows = 0.0
        rows += _estimated_rows(partitions, window)
    return filled


def windows_of(queryset: QuerySet, time_field: str) -> list[Q]:
    """The conditions that cut `queryset` into windows of its log's partitions, in the
    order its rows come (newest first when it reads time descending): run one after the
    other, they read its rows in order. [Q()] (one window, the whole query) when the table
    is not partitioned or the queryset is not in time order.

    The windows grow as the walk goes back: one partition, one, two, four...: a page found
    near the present costs one query, and one found nowhere (a rare account's, over years
    of partitions) a few, not one per partition. A partition of few rows (MIN_WINDOW_ROWS)
    is read with the older ones after it: a log little written costs one query.
    """
    whole = [Q()]
    order = queryset.query.order_by
    if queryset.query.combinator or not order or order[0].lstrip("-") != time_field:
        return whole
    column = queryset.model._meta.get_field(time_field).column
    low, high = bounds_of(queryset, column)
    windows = _filled(
        time_windows(queryset.model, using=queryset.db, low=low, high=high),
        _catalogued(queryset.model, queryset.db)[1],
    )
    if len(windows) <= 1:
        return whole
    grown, size = [], 1
    while windows:
        taken, windows = windows[:size], windows[size:]
        grown.append((taken[-1][0], taken[0][1]))  # newest first: the last starts earliest
        size = size * 2 if len(grown) > 1 else 1
    if not order[0].startswith("-"):
        grown.reverse()
    return [within(time_field, start, end) for start, end in grown]
