"""The appliance's health: its last heartbeat, each log's newest record, and what is wrong.

Read by the overview and by the banner of every page, so it costs one query of index
probes, kept CACHE_SECONDS by each process: for every log, its newest time and its
USUAL_SAMPLE-th newest (the log's (time, id) index, read backwards: `ORDER BY time DESC
LIMIT 1`, which on a time-partitioned table reads the newest partition first), and the
last heartbeat (its (field, time) index). No count, no scan, whatever the rows' number.

- **Heartbeats stopped**: the last heartbeat is older than HEARTBEAT_EXPECTED_SECONDS.
- **Ingest lag** of a log: how long ago its newest record happened (now minus its time).
  While the appliance sends, it is how far the console trails it; it grows while the log
  is silent.
- **Usual gap** of a log: the mean time between its last USUAL_SAMPLE records.
- **Silent**: a log's ingest lag is over LOG_SILENCE_FACTOR times its usual gap, and over
  the heartbeat interval (a log seldom written is not called silent sooner than heartbeats).
  A log with fewer than USUAL_SAMPLE records has no usual pace yet and is never silent;
  neither is the log carrying the heartbeats, which they watch.

jobs/health.py records each warning once as a Security event.
"""

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from .logs import LOGS, LogSpec
from .selectors import TooSlow, time_limit_holds, time_limited

# A log's usual gap is the mean gap between this many of its newest records.
USUAL_SAMPLE = 50
# Each process reads the health again after this many seconds.
CACHE_SECONDS = 10
CACHE_KEY = "logging_app.health"
# The probes stop after this long (PostgreSQL): a log's table locked by maintenance, or a
# database under strain, must not hold up every page for its banner.
TIME_LIMIT_SECONDS = 0.5


def _unit(count: int, name: str) -> str:
    return f"{count} {name}{'' if count == 1 else 's'}"


def words(span: timedelta) -> str:
    """A duration in words, to the second under an hour ("1 minute, 20 seconds"), else in its
    two largest units ("2 hours, 5 minutes")."""
    seconds = int(span.total_seconds())
    if seconds < 3600:
        minutes, seconds = divmod(seconds, 60)
        if not minutes:
            return _unit(seconds, "second")
        return _unit(minutes, "minute") + (f", {_unit(seconds, 'second')}" if seconds else "")
    now = datetime.now(UTC)
    # Plain spaces: the words go into Security events' CEF lines too.
    return timesince(now - span, now, depth=2).replace("\xa0", " ")


@dataclass(frozen=True)
class LogHealth:
    spec: LogSpec
    newest: datetime | None  # the newest record's time; None: the log is empty
    lag: timedelta | None  # now minus `newest`, never below zero
    usual_gap: timedelta | None  # None: too few records to know the log's pace
    silent: bool

    @property
    def lag_words(self) -> str:
        return words(self.lag) if self.lag is not None else ""

    @property
    def usual_words(self) -> str:
        return words(self.usual_gap) if self.usual_gap is not None else ""


@dataclass(frozen=True)
class Health:
    checked: datetime
    expected: timedelta  # HEARTBEAT_EXPECTED_SECONDS
    heartbeat_log: LogSpec | None  # the log carrying the heartbeats, if any is registered
    last_heartbeat: datetime | None
    logs: tuple[LogHealth, ...]
    # The probes were stopped by their time limit: nothing is known, nothing is warned of.
    unknown: bool = False

    @property
    def heartbeat_age(self) -> timedelta | None:
        if self.last_heartbeat is None:
            return None
        return max(self.checked - self.last_heartbeat, timedelta(0))

    @property
    def no_heartbeat(self) -> bool:
        """No heartbeat has ever been received (or kept)."""
        known = not self.unknown
        return known and self.heartbeat_log is not None and self.last_heartbeat is None

    @property
    def heartbeats_stopped(self) -> bool:
        age = self.heartbeat_age
        return age is not None and age > self.expected

    @property
    def silent_logs(self) -> list[LogHealth]:
        return [log for log in self.logs if log.silent]

    @property
    def warnings(self) -> bool:
        return self.no_heartbeat or self.heartbeats_stopped or bool(self.silent_logs)

    @property
    def sample(self) -> int:
        return USUAL_SAMPLE

    @property
    def silence_factor(self) -> int:
        return settings.LOG_SILENCE_FACTOR

    @property
    def expected_words(self) -> str:
        return words(self.expected)

    @property
    def heartbeat_age_words(self) -> str:
        age = self.heartbeat_age
        return words(age) if age is not None else ""

    def seen_by(self, logs: list[LogSpec]) -> "Health":
        """The health as told to someone who may read only `logs`: their rows, and the
        heartbeats only with the log that carries them."""
        shown = [log for log in self.logs if log.spec in logs]
        if self.heartbeat_log in logs:
            return replace(self, logs=tuple(shown))
        return replace(self, heartbeat_log=None, last_heartbeat=None, logs=tuple(shown))


def _heartbeat_log() -> LogSpec | None:
    return next((spec for spec in LOGS.values() if spec.heartbeat is not None), None)


def _newest_first(spec: LogSpec) -> QuerySet:
    return spec.model._base_manager.order_by(f"-{spec.time_field}").values(spec.time_field)


def _moment(value: datetime | str | None) -> datetime | None:
    # SQLite gives a subquery's date-time without its zone (or as text): UTC, as Django
    # stores it there.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value


def _probe() -> dict[str, datetime | None]:
    """Every log's newest and USUAL_SAMPLE-th newest time, and the last heartbeat, by name,
    from one query: a SELECT of one scalar subquery per value (each an index probe)."""
    probes: dict[str, QuerySet] = {}
    for spec in LOGS.values():
        probes[f"{spec.slug}:newest"] = _newest_first(spec)[:1]
        probes[f"{spec.slug}:sample"] = _newest_first(spec)[USUAL_SAMPLE - 1 : USUAL_SAMPLE]
    if heartbeat_log := _heartbeat_log():
        beats = _newest_first(heartbeat_log).filter(**heartbeat_log.heartbeat.lookups)
        probes["heartbeat"] = beats[:1]
    # The logs live in one database; a page view reads them from a replica, if any.
    using = router.db_for_read(next(iter(LOGS.values())).model)
    parts = [queryset.query.get_compiler(using=using).as_sql() for queryset in probes.values()]
    sql = "SELECT " + ", ".join(f"({part})" for part, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    database = connections[using]
    # Within a list page's time limit, that limit holds: no statements to set another.
    limit = time_limited(TIME_LIMIT_SECONDS, using=using)
    if time_limit_holds.get():
        limit = nullcontext()
    with limit, database.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {name: _moment(value) for name, value in zip(probes, row, strict=True)}


def _log_health(
    spec: LogSpec, times: dict[str, datetime | None], *, now: datetime, floor: timedelta
) -> LogHealth:
    newest, sample = times[f"{spec.slug}:newest"], times[f"{spec.slug}:sample"]
    if newest is None:
        return LogHealth(spec, None, None, None, silent=False)
    lag = max(now - newest, timedelta(0))
    usual = (newest - sample) / (USUAL_SAMPLE - 1) if sample is not None else None
    factor = settings.LOG_SILENCE_FACTOR  # 0: no log is ever called silent
    silent = bool(
        factor and usual is not None and spec.heartbeat is None and lag > max(factor * usual, floor)
    )
    return LogHealth(spec, newest, lag, usual, silent)


def appliance_health(*, now: datetime | None = None, fresh: bool = False) -> Health:
    """The health at `now` (default: now), from times at most CACHE_SECONDS old unless
    `fresh`."""
    now = now or timezone.now()
    expected = timedelta(seconds=settings.HEARTBEAT_EXPECTED_SECONDS)
    times = None if fresh else cache.get(CACHE_KEY)
    if times is None or not {f"{slug}:newest" for slug in LOGS} <= times.keys():
        try:
            times = _probe()
        except TooSlow:
            # The overview says so; the next page view tries again.
            return Health(now, expected, _heartbeat_log(), None, (), unknown=True)
        cache.set(CACHE_KEY, times, CACHE_SECONDS)
    return Health(
        checked=now,
        expected=expected,
        heartbeat_log=_heartbeat_log(),
        last_heartbeat=times.get("heartbeat"),
        logs=tuple(_log_health(spec, times, now=now, floor=expected) for spec in LOGS.values()),
    )
