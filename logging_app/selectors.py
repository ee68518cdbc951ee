"""Reads: what the pages show, built from the per-log declarations."""

import difflib
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as datetime_time
from functools import reduce
from operator import attrgetter, itemgetter, or_
from time import monotonic

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Case, Max, Min, Model, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.db.models.sql.where import AND, OR, WhereNode
from django.utils import timezone
from psycopg.errors import QueryCanceled

from . import models, partitions
from .logs import LOGS, LogSpec

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


def account_branches(spec: LogSpec, *, names: Sequence[str], account_ids: Sequence[int]) -> list[Q]:
    """The rows of `spec` that belong to an account: one condition per field that can
    name it, so that each is found through its own (field, time) index.

    A row belongs to the account its link points at (`account_ids`: the accounts meant,
    if any), and, where a link matches by username, to an account whose username it
    received (rows stored before the account was known, or after it was deleted):
    `names`, the name as asked for and the usernames of the accounts it found. The lists'
    `account` filter and the account page both ask this.
    """
    names = list(dict.fromkeys(names))
    conditions = []
    for link in spec.account_links:
        if account_ids:
            conditions.append(Q(**{f"{link.link}__in": list(account_ids)}))
        if link.match != "username":
            continue
        if len(names) <= 2:
            # The usual case, a name and the username it found: each its own branch, whose
            # rows come in time order from its (name, time) index.
            conditions += [Q(**{link.source: name}) for name in names]
        else:
            # A description several accounts share: their names in one condition (its rows
            # sorted by the database), not a branch per account.
            conditions.append(Q(**{f"{link.source}__in": names}))
    # No account and no field that takes a name: nothing belongs to it.
    return conditions or [Q(pk__in=[])]


# --- Accounts, however they are named -----------------------------------------------------

# Phone numbers are written with spaces, dashes or brackets between the digits.
_NUMBER_PUNCTUATION = re.compile(r"[\s\-()]")
_NUMBER = re.compile(r"\+?[0-9]+")
# The closest accounts offered for a name that names none.
ACCOUNT_SUGGESTIONS = 5


def phone_number(text: str) -> str:
    """`text` as a phone number, without its punctuation ("+39 06 1234-0016" is
    "+390612340016"), or "" when it is not one."""
    compact = _NUMBER_PUNCTUATION.sub("", text)
    return compact if _NUMBER.fullmatch(compact) else ""


def _international_digits(number: str) -> str:
    """A number's digits after its international prefix, "+" or "00", if it has one."""
    return number[1:] if number.startswith("+") else number.removeprefix("00")


def number_notations(number: str) -> tuple[str, ...]:
    """The ways a number may be stored: as written, and with "+", "00" or neither before
    its international digits."""
    digits = _international_digits(number)
    return tuple(dict.fromkeys((number, f"+{digits}", digits, f"00{digits}")))


def _named(text: str) -> Q:
    """The accounts `text` names exactly: the username or the description in any case,
    or the virtual number, written with "+", "00" or neither, and with punctuation."""
    condition = Q(username__iexact=text) | Q(description__iexact=" ".join(text.split()))
    if number := phone_number(text):
        condition |= Q(virtual_number__in=number_notations(number))
    return condition


def accounts_named(text: str) -> list[models.Account]:
    """The accounts a person means by `text` (`alice`, `ALICE`, `Alice Rossi`,
    `+39 06 1234 0016`), by username: the account whose username it is exactly, else
    every account it names (several when they share a description).

    Case-insensitive comparisons read the whole Account table, which is small (thousands
    of rows); a log table is only ever asked for the ids and names found here. (SQLite,
    the demo's database, ignores the case of ASCII letters only.)
    """
    text = text.strip()
    if not text:
        return []
    named = list(models.Account.objects.filter(_named(text)).order_by("username", "id"))
    return [account for account in named if account.username == text] or named


def account_search(text: str) -> QuerySet:
    """The accounts whose username, description or number holds `text` (any case; a
    number with or without its punctuation), the ones it names exactly first."""
    accounts = models.Account.objects.select_related("group")
    text = text.strip()
    if not text:
        return accounts.order_by("username")
    holding = Q(username__icontains=text) | Q(description__icontains=" ".join(text.split()))
    holding |= Q(virtual_number__icontains=_international_digits(phone_number(text)) or text)
    exact = Case(When(_named(text), then=Value(0)), default=Value(1))
    return accounts.filter(holding).order_by(exact, "username")


def accounts_like(text: str, *, limit: int = ACCOUNT_SUGGESTIONS) -> list[models.Account]:
    """The accounts closest to `text`, for a name that named none: those whose username,
    description or number holds it, then the most alike in spelling.

    Compared in Python over the whole directory (thousands of names, a few milliseconds),
    only when a page found nothing under the name.
    """
    number = phone_number(text)
    wanted = f"+{_international_digits(number)}" if number else " ".join(text.split()).casefold()
    if not wanted:
        return []
    by_name: dict[str, list[models.Account]] = {}
    directory = models.Account.objects.only("username", "description", "virtual_number")
    for account in directory.order_by("username", "id"):
        for name in {account.username, account.description, account.virtual_number} - {""}:
            by_name.setdefault(name.casefold(), []).append(account)
    holding = sorted(
        (name for name in by_name if wanted.removeprefix("+") in name),
        key=lambda name: (not name.startswith(wanted), len(name), name),
    )
    alike = difflib.get_close_matches(wanted, by_name, n=limit)
    found: dict[int, models.Account] = {}
    for name in [*holding[:limit], *alike]:
        for account in by_name[name]:
            found.setdefault(account.pk, account)
    return list(found.values())[:limit]


def _in_order(rows: list, order_by: Sequence[str], *, as_tuples: bool = False) -> list:
    """`rows` sorted as `order_by` (field names, "-" for descending) sorts them: model
    instances, or tuples of the order's values (`_order_columns`)."""
    for position, name in reversed(list(enumerate(order_by))):
        field = name.lstrip("-")
        key = (
            itemgetter(position)
            if as_tuples
            else attrgetter("pk" if field in ("pk", "id") else field)
        )
        rows.sort(key=key, reverse=name[0] == "-")
    return rows


def _order_columns(queryset: QuerySet) -> list[str]:
    """The columns a branch's member of a UNION returns, for its ORDER BY to name them: the
    queryset's order's, then its pk (last, whatever the order ends with)."""
    columns = [name.lstrip("-") for name in queryset.query.order_by]
    if not columns or columns[-1] not in ("pk", "id"):
        columns.append("pk")
    return columns


def _windows(queryset: QuerySet) -> list[Q]:
    """The windows a query of a partitioned log is walked through (partitions.windows_of);
    one, the whole query, for any other."""
    spec = next((s for s in LOGS.values() if s.model is queryset.model), None)
    if spec is None or spec.partitioning is None:
        return [Q()]
    return partitions.windows_of(queryset, spec.time_field)


def first_rows(queryset: QuerySet, limit: int, branches: Sequence[Q] = ()) -> list[Model]:
    """The first `limit` rows of `queryset`, in its order.

    On a partitioned log, read window by window, newest first when the query reads time
    descending, until `limit` rows are found: each window's query is planned over the
    leaves of one partition only (partitions.windows_of).
    """
    rows: list[Model] = []
    for window in _windows(queryset):
        rows += _first_rows(queryset.filter(window), limit - len(rows), branches)
        if len(rows) >= limit:
            break
    return rows


def _conjuncts(node: object) -> list:
    """The conditions `node` joins by AND, at any depth (itself when it is no AND)."""
    if isinstance(node, WhereNode) and node.connector == AND and not node.negated:
        return [condition for child in node.children for condition in _conjuncts(child)]
    return [node]


def _implied(node: object, conditions: list) -> bool:
    """Whether `node` holds wherever all of `conditions` hold: an OR one of whose options
    is made of them."""
    if not (isinstance(node, WhereNode) and node.connector == OR and not node.negated):
        return False
    return any(all(c in conditions for c in _conjuncts(option)) for option in node.children)


def _branch(queryset: QuerySet, branch: Q) -> QuerySet:
    """The rows of `queryset` that meet `branch`, without the ORs of its filter that the
    branch implies (the OR it is a branch of): PostgreSQL plans an OR of conditions on
    indexed columns as bitmaps over every partition and index, though the branch alone
    selects its rows (a number searched in four fields: 17 ms of planning instead of 3)."""
    where = queryset.query.where
    if where.connector != AND or where.negated:
        return queryset.filter(branch)
    conditions = _conjuncts(queryset.model._base_manager.filter(branch).query.where)
    kept = [node for node in where.children if not _implied(node, conditions)]
    if len(kept) == len(where.children):
        return queryset.filter(branch)
    unbranched = queryset.all()
    unbranched.query.where = WhereNode(kept, AND)
    return unbranched.filter(branch)


def _first_rows(queryset: QuerySet, limit: int, branches: Sequence[Q] = ()) -> list[Model]:
    """The first `limit` rows of `queryset`, in its order.

    `branches` are the conditions an OR of the queryset's filter joins, one per field
    (a CDR's caller or callee account): each branch's first rows are then found apart,
    through that field's (field, time) index, and the rows come from their union. Given
    the OR itself, PostgreSQL estimates every account alike and, for a rare one, walks
    the time index past millions of other accounts' rows (20 s for an account with 200 of
    10 million CDRs; docs/benchmarks.md). The branches are read in one query, a UNION ALL
    of each one's first rows, so that their number costs no round trips.
    """
    if len(branches) > 1:
        compound = connections[queryset.db].features.supports_slicing_ordering_in_compound
        if compound and not queryset.query.select_related:
            # Rows without joined accounts (the account page's) are read whole from the
            # union, and put in order here: no second query.
            members = [_branch(queryset, branch)[:limit] for branch in branches]
            rows = {row.pk: row for row in members[0].union(*members[1:], all=True)}
            return _in_order(list(rows.values()), queryset.query.order_by)[:limit]
        if compound:
            # Each branch's first rows as a member of one UNION ALL (PostgreSQL): its ORDER
            # BY names the columns it returns, so those are the order's (time, id).
            columns = _order_columns(queryset)
            firsts = [_branch(queryset, b).values_list(*columns)[:limit] for b in branches]
            union = [row[-1] for row in firsts[0].union(*firsts[1:], all=True)]
        else:
            # SQLite refuses a LIMITed member of a UNION: each branch as `pk IN (its first
            # rows)`, a subquery that keeps its ORDER BY and LIMIT.
            rows = queryset.model._base_manager.using(queryset.db).order_by()
            members = [
                rows.filter(pk__in=_branch(queryset, branch).values("pk")[:limit]).values_list("pk")
                for branch in branches
            ]
            union = [pk for (pk,) in members[0].union(*members[1:], all=True).order_by()]
        queryset = queryset.filter(pk__in=set(union))
    return list(queryset[:limit])


def account_rows(
    spec: LogSpec, *, username: str, account: models.Account | None
) -> tuple[QuerySet, list[Q]]:
    """The rows of `spec` that belong to the account (as the account page shows them: a
    row's own text, no joined account), and the branches of their condition, for
    `first_rows`."""
    account_ids = [account.pk] if account is not None else []
    branches = account_branches(spec, names=[username], account_ids=account_ids)
    return log_queryset(spec).select_related(None).filter(reduce(or_, branches)), branches


@dataclass(frozen=True)
class NewestRows:
    """A log's newest rows of an account, newest first, and whether they are all of them."""

    rows: list[Model]
    complete: bool


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    older: "TimelineCursor | None"  # where the next page, of older rows, starts
    # On the first page: each log's newest rows of the account, as read for the page.
    newest: dict[str, NewestRows] = field(default_factory=dict)


def account_timeline(
    *,
    username: str,
    account: models.Account | None,
    logs: Sequence[LogSpec],
    before: "TimelineCursor | None" = None,
    limit: int = ACCOUNT_TIMELINE_LENGTH,
) -> TimelinePage:
    """A page of the account's activity across `logs`, newest first, as one list, older
    than `before` when given.

    Each log contributes at most `limit` + 1 rows through its (account, time) indexes; the
    merge keeps the newest of them, in (time, log, id) order, so that a page ends at a row
    the next page's cursor names whatever log it is in: paged back, the whole history
    reads as one list.
    """
    streams = []
    newest: dict[str, NewestRows] = {}
    positions = {slug: position for position, slug in enumerate(LOGS)}
    for spec in logs:
        if not spec.account_links:
            continue
        queryset, branches = account_rows(spec, username=username, account=account)
        if before is not None:
            queryset = queryset.filter(before.older(spec, positions))
        rows = first_rows(queryset, limit + 1, branches)
        if before is None:
            newest[spec.slug] = NewestRows(rows, complete=len(rows) <= limit)
        position = positions[spec.slug]
        stream = (TimelineEntry(getattr(row, spec.time_field), spec, row) for row in rows)
        streams.append([((entry.time, position, entry.record.pk), entry) for entry in stream])
    merged = heapq.merge(*streams, key=lambda item: item[0], reverse=True)
    entries = [entry for _, (_, entry) in zip(range(limit + 1), merged, strict=False)]
    older = None
    if len(entries) > limit:
        last = entries[limit - 1]
        older = TimelineCursor(last.log.slug, Cursor(last.time, last.record.pk))
    return TimelinePage(entries[:limit], older, newest)


@dataclass(frozen=True)
class LogActivity:
    log: LogSpec
    count: int
    latest: datetime | None


def recent_activity(
    *,
    logs: Iterable[LogSpec],
    since: datetime,
    newest: Mapping[str, datetime | None] | None = None,
) -> list[LogActivity]:
    """How many rows each log holds since `since` (the start of an hour), and when the newest
    one arrived.

    The counts are the logs' hours (models.LogHour), summed in one query whatever the
    number of rows. `newest`: each log's newest time by slug where it is known already (the
    appliance's health probes it for every page's banner); a log not in it has its (time,
    id) index read backwards.
    """
    logs = list(logs)
    newest = newest or {}
    hours = models.LogHour.objects.filter(
        log__in=[spec.slug for spec in logs], field="", hour__gte=since
    )
    counts = dict(hours.values("log").annotate(rows=Sum("rows")).values_list("log", "rows"))
    activity = []
    for spec in logs:
        if spec.slug in newest:
            latest = newest[spec.slug]
            latest = latest if latest is not None and latest >= since else None
        else:
            latest = spec.model.objects.filter(**{f"{spec.time_field}__gte": since}).aggregate(
                latest=Max(spec.time_field)
            )["latest"]
        activity.append(LogActivity(spec, counts.get(spec.slug, 0), latest))
    return activity


def daily_counts(
    *, log: LogSpec, field: str, values: Iterable[str], start: datetime, end: datetime
) -> dict[tuple[date, str], int]:
    """Rows of `log` per day (in the current time zone) and per value of `field`, from
    `start` to `end`: the log's hours that start in that time (models.LogHour), summed by
    the database in one query, whatever the number of rows.

    A day of a zone whose offset is whole hours holds its own hours exactly; one of a zone
    half an hour off UTC holds the UTC hours starting in it (docs/statistics.md).
    """
    rows = (
        models.LogHour.objects.filter(
            log=log.slug, field=field, value__in=values, hour__gte=start, hour__lt=end
        )
        .annotate(day=TruncDate("hour", tzinfo=timezone.get_current_timezone()))
        .values("day", "value")
        .annotate(count=Sum("rows"))
        .order_by()
    )
    return {(row["day"], row["value"]): row["count"] for row in rows}


# --- List pages ---------------------------------------------------------------------------

# A list counts its rows up to this many; beyond it the page says "more than". The count
# reads every matching row up to the cap: for an account in 10% of the CDRs, 10,000 cost
# ~65 ms on the benchmark's machine (docs/benchmarks.md), 1,000 cost ~7 ms.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Cursor:
    """A position in a log's default order (time desc, id desc): the row at (time, pk).

    Written in URLs as `<ISO time in UTC>_<id>`, readable and enough to resume from.
    """

    time: datetime
    pk: int

    def __str__(self) -> str:
        stamp = self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"{stamp}_{self.pk}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor written as `text`; ValueError (or OverflowError) when it is not one."""
        stamp, _, pk = text.rpartition("_")
        time = datetime.fromisoformat(stamp)
        if time.utcoffset() is None or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
            raise ValueError(text)  # 18 digits: within a bigint
        # In UTC, as the databases compare it; a time beyond year 9999 there overflows.
        return cls(time.astimezone(UTC), int(pk))

    # The conditions are written `time <= t AND (time < t OR id < pk)` (and the mirror)
    # so that PostgreSQL uses `time <= t` as the bound of its (time, id) index scan.

    def earlier(self, time_field: str) -> Q:
        """The rows before this position in (time, id) order."""
        return Q(**{f"{time_field}__lte": self.time}) & (
            Q(**{f"{time_field}__lt": self.time}) | Q(pk__lt=self.pk)
        )

    def later(self, time_field: str) -> Q:
        """The rows after this position in (time, id) order."""
        return Q(**{f"{time_field}__gte": self.time}) & (
            Q(**{f"{time_field}__gt": self.time}) | Q(pk__gt=self.pk)
        )


@dataclass(frozen=True)
class TimelineCursor:
    """A position in an account's timeline: a row of one log, in (time, log, id) order,
    the logs in their registry's order. Written `<log>_<Cursor>`."""

    log: str
    at: Cursor

    def __str__(self) -> str:
        return f"{self.log}_{self.at}"

    @classmethod
    def parse(cls, text: str) -> "TimelineCursor":
        """The cursor written as `text`; ValueError (or OverflowError) when it is not one."""
        log, _, at = text.partition("_")
        if log not in LOGS:
            raise ValueError(text)
        return cls(log, Cursor.parse(at))

    def older(self, spec: LogSpec, positions: dict[str, int]) -> Q:
        """The rows of `spec` after this position in the timeline (older ones first)."""
        time = spec.time_field
        if spec.slug == self.log:
            return self.at.earlier(time)
        # At the same time, the rows of a log before this one in the order come after it.
        lookup = "lte" if positions[spec.slug] < positions[self.log] else "lt"
        return Q(**{f"{time}__{lookup}": self.at.time})


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Model]
    newer: Cursor | None  # where the page of newer rows ends, if there is one
    older: Cursor | None  # where the page of older rows starts, if there is one
    # A search stopped by its time budget: the rows older than this were not searched.
    searched_from: datetime | None = None


def _cursor_of(spec: LogSpec, row: Model) -> Cursor:
    return Cursor(getattr(row, spec.time_field), row.pk)


def log_keyset_page(
    *,
    spec: LogSpec,
    queryset: QuerySet,
    size: int,
    before: Cursor | None = None,
    after: Cursor | None = None,
    branches: Sequence[Q] = (),
    budget: float | None = None,
    heads: list[tuple] | None = None,
) -> KeysetPage:
    """One page of `queryset` (in the log's default order) older than `before` or newer
    than `after`, or the newest page when neither is given.

    Keyset paging: the page is found through the (time, id) or (filter, time) index
    whatever its depth, where OFFSET would read and discard every row before it; one row
    past the page says whether there is more. `branches`: see `first_rows`. `budget`:
    the seconds an older page may take to look for its rows (`searched_rows`), for a
    search no index serves.
    """
    time = spec.time_field
    if after is not None:
        newer = queryset.filter(after.later(time)).order_by(time, "pk")
        rows = first_rows(newer, size + 1, branches)
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows,
            newer=_cursor_of(spec, rows[0]) if more_newer else None,
            # The `after` row itself, and what is older, lies beyond the page.
            older=_cursor_of(spec, rows[-1]) if rows else Cursor(after.time, after.pk + 1),
        )
    if before is not None:
        queryset = queryset.filter(before.earlier(time))
    searched_from = None
    if heads is not None and before is None and budget is None:
        rows = _rows_of(queryset, heads[: size + 1], time)
    elif budget is None:
        rows = first_rows(queryset, size + 1, branches)
    else:
        rows, searched_from = searched_rows(queryset, size + 1, time, budget=budget)
    more_older = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        newer=(_cursor_of(spec, rows[0]) if rows else before) if before is not None else None,
        older=_cursor_of(spec, rows[-1]) if more_older else None,
        searched_from=searched_from,
    )


def _rows_of(queryset: QuerySet, heads: list[tuple], time_field: str) -> list[Model]:
    """The rows of `heads` (`branch_heads`: time first, pk last), in the queryset's order,
    read by their ids within their span of time (the partitions that hold them)."""
    if not heads:
        return []
    times = [head[0] for head in heads]
    rows = queryset.filter(
        pk__in=[head[-1] for head in heads],
        **{f"{time_field}__gte": min(times), f"{time_field}__lte": max(times)},
    )
    return _in_order(list(rows), queryset.query.order_by)


# The first span of time a budgeted search reads; each span read in less than a tenth of
# the budget doubles the next one, so that a log of few rows is read in a few queries.
SEARCH_FIRST_SPAN = timedelta(days=1)


def searched_rows(
    queryset: QuerySet, limit: int, time_field: str, *, budget: float
) -> tuple[list[Model], datetime | None]:
    """The first `limit` rows of `queryset` (newest first), looked for span by span of
    time back from its newest row, for at most about `budget` seconds: (rows, None) when
    every row was searched, else (rows found, the time before which nothing was searched).

    A condition no index serves (a word inside the text columns) reads every row it
    passes: over 10 million rows, for a rare word, longer than a page may take. Read a day
    at a time through the time index, newest first, it answers within the budget and says
    how far back it looked. The spans start at UTC midnights: within one time partition.
    """
    if queryset.query.is_empty():  # .none(): a page emptied after its time limit
        return [], None
    column = queryset.model._meta.get_field(time_field).column
    low, high = partitions.bounds_of(queryset, column)
    extent = (
        queryset.model._base_manager.using(queryset.db)
        .filter(**({f"{time_field}__gte": low} if low else {}))
        .filter(**({f"{time_field}__lte": high} if high else {}))
        .aggregate(first=Min(time_field), last=Max(time_field))
    )
    if extent["first"] is None:
        return [], None
    started = monotonic()
    # The midnight before the newest row: strictly before it, so that a search going on
    # from where it stopped (`time < t`, a row at t itself not searched again) moves back.
    last = (extent["last"] - timedelta(microseconds=1)).astimezone(UTC)
    start = datetime.combine(last.date(), datetime_time(), tzinfo=UTC)
    end, span, rows = None, SEARCH_FIRST_SPAN, []
    while True:
        reaches_back = start <= extent["first"]
        window = Q() if reaches_back else Q(**{f"{time_field}__gte": start})
        if end is not None:
            window &= Q(**{f"{time_field}__lt": end})
        read_from = monotonic()
        rows += list(queryset.filter(window)[: limit - len(rows)])
        if len(rows) >= limit or reaches_back:
            return rows, None
        now = monotonic()
        if now - started >= budget:
            return rows, start
        if now - read_from < budget / 10:
            span *= 2
        end, start = start, start - span


@dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool = True  # else a lower bound (capped) or the planner's estimate
    estimate: bool = False

    def __str__(self) -> str:
        if self.estimate:
            return f"about {_rounded(self.value)} records"
        if not self.exact:
            return f"more than {self.value:,} records"
        return f"{self.value:,} record{'' if self.value == 1 else 's'}"


def _rounded(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} million"
    return f"{round(value, -3):,}"


def _planner_estimate(model: type[Model]) -> int | None:
    """PostgreSQL's own estimate of a table's rows (kept by ANALYZE and autovacuum); of a
    partitioned table, the sum of its partitions' (it keeps none of its own)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # -1: never analysed yet (a partition made ahead, still empty). A plain table is
        # no partition tree: it is its own one leaf.
        cursor.execute(
            "SELECT sum(greatest(c.reltuples, 0))::bigint, bool_or(c.reltuples >= 0) "
            "FROM pg_class c WHERE c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass) "
            "WHERE isleaf UNION SELECT %s::regclass) AND c.relkind = 'r'",
            [connection.ops.quote_name(model._meta.db_table)] * 2,
        )
        row = cursor.fetchone()
    return row[0] if row and row[1] else None


def branch_heads(
    queryset: QuerySet, branches: Sequence[Q], *, cap: int | None = None
) -> list[tuple]:
    """The first `cap` + 1 rows of `queryset`, whose filter is an OR of `branches`, as
    their order's values and their pk, in the queryset's order: each branch's first rows
    read through its own index, as one UNION ALL, each row once. A list page counts them
    (`log_count`) and takes its first page's rows from them (`log_keyset_page`): one query
    for both.

    An OR of the branches, counted by PostgreSQL, builds a bitmap of every row of a busy
    account (10% of 10M CDRs: 80 ms) before it stops at the cap; each branch alone stops at
    it. Each branch's rows are read in the list's order, through its (field, time) index:
    unordered, PostgreSQL read them by a bitmap of the OR the filter also holds, every row
    of the busy account in a partition (124,000, 12 ms) before the first 1,001."""
    cap = COUNT_CAP if cap is None else cap
    columns = _order_columns(queryset)
    members = [_branch(queryset, b).values_list(*columns)[: cap + 1] for b in branches]
    if connections[queryset.db].features.supports_slicing_ordering_in_compound:
        found = list(members[0].union(*members[1:], all=True))
    else:
        found = [row for member in members for row in member]
    heads = list({row[-1]: row for row in found}.values())
    return _in_order(heads, queryset.query.order_by, as_tuples=True)[: cap + 1]


def log_count(
    queryset: QuerySet,
    *,
    cap: int | None = None,
    branches: Sequence[Q] = (),
    heads: list[tuple] | None = None,
) -> RowCount:
    """How many rows `queryset` has, without ever counting a whole table.

    Unfiltered on PostgreSQL: the planner's estimate, when it is past the cap. Otherwise
    COUNT over at most `cap + 1` rows (a LIMITed subquery), stated as "more than" beyond;
    given the `branches` of its filter's OR (see `first_rows`), each branch's rows through
    its own index (`branch_heads`, or `heads` read already). The cap is COUNT_CAP unless
    given.
    """
    cap = COUNT_CAP if cap is None else cap
    if not queryset.query.where:
        estimate = _planner_estimate(queryset.model)
        if estimate is not None and estimate > cap:
            return RowCount(estimate, exact=False, estimate=True)
    if heads is not None:
        counted = len(heads)
    elif len(branches) > 1:
        counted = len(branch_heads(queryset, branches, cap=cap))
    else:
        counted = queryset.order_by()[: cap + 1].count()
    if counted > cap:
        return RowCount(cap, exact=False)
    return RowCount(counted)


# How long a list page's queries may run, in all, before they are stopped (PostgreSQL). A
# free-text search for a rare word, with nothing else to narrow it, reads the whole log:
# half a minute over 10 million CDRs. The page says so instead of hanging.
PAGE_TIME_LIMIT_SECONDS = 5
# How long a list page looks for the rows of a search no index serves before it shows what
# it found and offers to search older records (searched_rows).
SEARCH_BUDGET_SECONDS = 0.5


class TooSlow(Exception):
    """The page's queries ran past PAGE_TIME_LIMIT_SECONDS and were stopped."""


# True inside time_limited(): a query made there (the banner's health) needs no limit of
# its own.
time_limit_holds: ContextVar[bool] = ContextVar("time_limit_holds", default=False)


@contextmanager
def time_limited(seconds: float, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Stop the block's queries on database `using` (a replica, when the page reads from
    one) once one has run for `seconds`, raising TooSlow.

    On PostgreSQL, the block runs in a transaction whose statements time out (in a
    savepoint, when a transaction is open already); SQLite, the demo's database, sets no
    limit.
    """
    database = connections[using]
    if database.vendor != "postgresql":
        yield
        return
    nested = database.in_atomic_block
    try:
        with transaction.atomic(using=using), database.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('statement_timeout'), "
                "set_config('statement_timeout', %s, true)",
                [f"{max(1, round(seconds * 1000))}"],
            )
            before, _ = cursor.fetchone()
            holds = time_limit_holds.set(True)
            try:
                yield
            finally:
                time_limit_holds.reset(holds)
            if nested:  # the setting would outlive the savepoint
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])
    except OperationalError as error:
        if isinstance(error.__cause__, QueryCanceled):
            raise TooSlow from error
        raise
