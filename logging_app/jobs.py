"""The periodic jobs. `manage.py run_worker` runs them on their schedules; each is also a
command of its own.

Every job is idempotent (running it twice does nothing more), works in bounded batches,
logs what it did, and returns a small result whose str() is a one-line summary.
docs/jobs.md describes what each does.
"""

import logging
import socket
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from . import models, siem, syslog
from .ingest import chunks, rewrite_security_events, row_values
from .logs import LOGS, log_for_model
from .selectors import Cursor

logger = logging.getLogger(__name__)


def _log(result: object, *, changed: bool) -> None:
    # A job that found nothing to do says so only at debug level: the worker runs the
    # jobs every few seconds or minutes.
    logger.log(logging.INFO if changed else logging.DEBUG, "%s", result)


# --- SIP reconciliation -------------------------------------------------------------------

_EDGES = (models.SipEvent.CONNECT, models.SipEvent.DISCONNECT)


@dataclass
class ReconcileResult:
    bound: int = 0  # CONNECT/DISCONNECT events given an account
    connections: int = 0  # connections those events belong to
    ambiguous: int = 0  # connections left unbound: several accounts registered
    unmatched: int = 0  # connections left unbound: no account registered

    @property
    def changed(self) -> bool:
        return self.bound > 0

    def __str__(self) -> str:
        return (
            f"reconcile_sip: {self.bound} events bound to an account in {self.connections} "
            f"connections; left unbound: {self.ambiguous} ambiguous, "
            f"{self.unmatched} unmatched connections"
        )


@dataclass
class _Connection:
    """The events of one address from its CONNECT (if known) to its end."""

    edges: list[models.SipSessionEvent] = field(default_factory=list)
    # Accounts that registered during it: username → Account id (None if not linked).
    registered: dict[str, int | None] = field(default_factory=dict)


def _closed_connections(events: Iterable[models.SipSessionEvent]) -> Iterator[_Connection]:
    """Split one address's events, in time order, into its connections.

    A connection ends with its DISCONNECT, or with the next CONNECT when the DISCONNECT
    is missing. The connection still open at the end is not yielded: an account may yet
    register during it, so it is bound by a later run.
    """
    current = _Connection()
    for event in events:
        if event.event == models.SipEvent.CONNECT:
            if current.edges:
                yield current
            current = _Connection(edges=[event])
        elif event.event == models.SipEvent.DISCONNECT:
            current.edges.append(event)
            yield current
            current = _Connection()
        elif event.event == models.SipEvent.REGISTER and event.username:
            current.registered.setdefault(event.username, event.account_id)


def _address_events(address: str, since: datetime) -> list[models.SipSessionEvent]:
    """The address's events from the start of the connection open at `since` onward.

    That start is the address's last CONNECT or DISCONNECT before `since`; with none,
    the address's whole history is read.
    """
    of_address = models.SipSessionEvent.objects.filter(remote_address=address)
    boundary = (
        of_address.filter(event__in=_EDGES, timestamp__lt=since)
        .order_by("-timestamp", "-id")
        .values_list("timestamp", flat=True)
        .first()
    )
    if boundary is not None:
        of_address = of_address.filter(timestamp__gte=boundary)
    return list(
        of_address.order_by("timestamp", "id").only(
            "id", "timestamp", "event", "username", "account_id"
        )
    )


def _bind(bindings: dict[str, list[int]], account_ids: dict[str, int | None]) -> int:
    """Give each username its events; one UPDATE per username (per chunk of ids)."""
    missing = sorted(name for name, account_id in account_ids.items() if account_id is None)
    for chunk in chunks(missing):
        account_ids.update(
            models.Account.objects.filter(username__in=chunk).values_list("username", "id")
        )
    bound = 0
    for username, ids in bindings.items():
        for chunk in chunks(ids):
            # username="" again: a concurrent run, or the appliance, may have bound them.
            bound += models.SipSessionEvent.objects.filter(pk__in=chunk, username="").update(
                username=username, account_id=account_ids[username], reconciled=True
            )
    return bound


def reconcile_sip_sessions(
    *, now: datetime | None = None, lookback: timedelta | None = None
) -> ReconcileResult:
    """Bind CONNECT/DISCONNECT events that came with an address only to an account.

    A connection's events are bound to the account that REGISTERed from that address
    between its CONNECT and its DISCONNECT, when exactly one did. Events still unbound
    are looked for among the last `lookback` (SIP_RECONCILE_LOOKBACK_HOURS) of events.
    """
    now = now or timezone.now()
    lookback = lookback or timedelta(hours=settings.SIP_RECONCILE_LOOKBACK_HOURS)
    since = now - lookback
    addresses = list(
        models.SipSessionEvent.objects.filter(event__in=_EDGES, username="", timestamp__gte=since)
        .order_by("remote_address")
        .values_list("remote_address", flat=True)
        .distinct()
    )
    result = ReconcileResult()
    bindings: dict[str, list[int]] = defaultdict(list)
    account_ids: dict[str, int | None] = {}
    for address in addresses:
        for connection in _closed_connections(_address_events(address, since)):
            unbound = [event.pk for event in connection.edges if not event.username]
            if not unbound:
                continue
            if len(connection.registered) > 1:
                result.ambiguous += 1
            elif not connection.registered:
                result.unmatched += 1
            else:
                [(username, account_id)] = connection.registered.items()
                if account_ids.get(username) is None:
                    account_ids[username] = account_id
                bindings[username].extend(unbound)
                result.connections += 1
    with transaction.atomic():
        result.bound = _bind(bindings, account_ids)
    _log(result, changed=result.changed)
    return result


# --- Secure-message expiry ----------------------------------------------------------------

# The manual: a message "in queue for more than 72 hours ... is no more considered valid".
SECURE_MESSAGE_LIFETIME = timedelta(hours=72)


@dataclass
class ExpireResult:
    expired: int = 0

    @property
    def changed(self) -> bool:
        return self.expired > 0

    def __str__(self) -> str:
        return f"expire_secure_messages: {self.expired} messages ENQUEUED for over 72 h expired"


def expire_secure_messages(*, now: datetime | None = None, batch_size: int = 1000) -> ExpireResult:
    """Mark EXPIRED the messages ENQUEUED for more than 72 hours since `received`.

    Each expiry is rewritten into its Security event, as ingest does for a message
    reported EXPIRED, in the same transaction.
    """
    now = now or timezone.now()
    spec = log_for_model(models.SecureMessage)
    stale = models.SecureMessage.objects.filter(
        status=models.SecureMessageStatus.ENQUEUED, received__lt=now - SECURE_MESSAGE_LIFETIME
    ).order_by("received", "id")
    result = ExpireResult()
    while True:
        with transaction.atomic():
            # Rows an ingest is updating right now are left to the next run.
            batch = list(stale.select_for_update(skip_locked=True)[:batch_size])
            if not batch:
                break
            for message in batch:
                message.status = models.SecureMessageStatus.EXPIRED
            models.SecureMessage.objects.bulk_update(batch, ["status"])
            rewrite_security_events(spec, [row_values(message) for message in batch])
        result.expired += len(batch)
    _log(result, changed=result.changed)
    return result


# --- Purging ------------------------------------------------------------------------------

PURGE_BATCH = 5000


@dataclass
class PurgeResult:
    # Rows deleted by log slug: a log's own rules' (the CDR policy's) and its retention's.
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.deleted.values())

    def __str__(self) -> str:
        purged = [f"{count} {log}" for log, count in self.deleted.items() if count]
        return "purge_logs: " + (", ".join(purged) + " rows deleted" if purged else "nothing due")


def _before(now: datetime, days: int) -> datetime | None:
    """`days` before `now`; None when that is before the first representable date."""
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None


def _delete_in_batches(queryset: QuerySet, time_field: str, batch_size: int) -> int:
    """Delete the queryset's rows, oldest first, `batch_size` at a time.

    Each DELETE is short, so ingest and page views wait for none of them for long. Each
    batch starts where the last one ended (a keyset on time and id, as the list pages
    page), rather than at the oldest row: the index entries of rows just deleted stay in
    the index until VACUUM, and walking over them again every batch would make a large
    purge quadratic.
    """
    model: type[Model] = queryset.model
    deleted, last = 0, None
    while True:
        batch = queryset.filter(last.later(time_field)) if last else queryset
        rows = list(batch.order_by(time_field, "pk").values_list(time_field, "pk")[:batch_size])
        if not rows:
            return deleted
        # Counted for this model only: a Security event's outbox row goes with it (and
        # only the ids of the events are read to find it).
        ids = [pk for _, pk in rows]
        _, by_model = model.objects.filter(pk__in=ids).only("pk").delete()
        deleted += by_model.get(model._meta.label, 0)
        last = Cursor(*rows[-1])


def purge_logs(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> PurgeResult:
    """Delete what the logs' own rules and the retention settings no longer keep.

    A log's rules are its spec's `expired` rows (the CDR policy's direct calls). Each log
    keeps its rows RETENTION_DAYS_<LOG> days (0: forever). Security events rewritten from
    purged rows keep their own data.
    """
    now = now or timezone.now()
    result = PurgeResult()
    deleted = result.deleted
    for spec in LOGS.values():
        if spec.expired is not None:
            deleted[spec.slug] = _delete_in_batches(spec.expired(now), spec.time_field, batch_size)
    for spec in LOGS.values():
        days = settings.RETENTION_DAYS.get(spec.slug, 0)
        cutoff = _before(now, days) if days else None
        if cutoff is None:
            continue
        expired = spec.model.objects.filter(**{f"{spec.time_field}__lt": cutoff})
        count = _delete_in_batches(expired, spec.time_field, batch_size)
        deleted[spec.slug] = deleted.get(spec.slug, 0) + count
    _log(result, changed=result.changed)
    return result


# --- SIEM forwarding ----------------------------------------------------------------------

FORWARD_BATCH = 500
FORWARD_LIMIT = 10_000
# After a failed attempt an event waits 30 s, then twice as long after each further
# failure, up to an hour.
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    """How long an event waits after its `attempts`-th failed attempt."""
    doublings = min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2**doublings, RETRY_MAX_SECONDS))


@dataclass
class ForwardResult:
    configured: bool = True
    sent: int = 0
    failed: int = 0  # events whose attempt failed in this run; they wait and are retried
    waiting: int = 0  # events in the outbox not sent yet, after this run
    error: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.sent or self.failed)

    def __str__(self) -> str:
        if not self.configured:
            return (
                f"forward_siem: no collector configured (SIEM_SYSLOG_URL); "
                f"{self.waiting} events wait"
            )
        line = (
            f"forward_siem: {self.sent} events sent, {self.failed} failed, {self.waiting} waiting"
        )
        return f"{line} ({self.error})" if self.error else line


def _syslog_message(event: models.SecurityEvent, hostname: str) -> bytes:
    return syslog.format_message(
        message=siem.event_cef_line(event),
        facility=settings.SIEM_SYSLOG_FACILITY,
        severity=syslog.severity_for(event.severity),
        timestamp=event.timestamp,
        hostname=hostname,
        msgid=event.signature_id,
    )


def _waiting() -> int:
    return models.SiemOutbox.objects.filter(state=models.OutboxState.PENDING).count()


def _forward_batch(
    collector: syslog.Collector, size: int, now: datetime, hostname: str, *, retry_now: bool
) -> tuple[int, int, str]:
    """Claim up to `size` due events, send them, record the outcome: (sent, failed, error).

    With `retry_now`, every pending event is due, whatever its back-off. The claimed rows
    stay locked until the outcome is committed. On PostgreSQL another worker skips them
    (SKIP LOCKED) and takes the next ones; on SQLite the database lock makes it wait.
    Either way no event goes out twice.
    """
    pending = models.SiemOutbox.objects.filter(state=models.OutboxState.PENDING)
    if not retry_now:
        pending = pending.filter(next_attempt_at__lte=now)
    with transaction.atomic():
        due = list(
            pending.select_related("security_event")
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:size]
        )
        if not due:
            return 0, 0, ""
        messages = [_syslog_message(row.security_event, hostname) for row in due]
        try:
            syslog.send(collector, messages, timeout=settings.SIEM_SYSLOG_TIMEOUT)
        except syslog.DeliveryError as delivery_error:
            sent, error = delivery_error.sent, str(delivery_error)
        else:
            sent, error = len(due), ""
        for row in due[:sent]:
            row.state, row.sent_at, row.last_error = models.OutboxState.SENT, now, ""
            row.attempts += 1
        # The rest of the batch waits together, so that it keeps its order.
        for row in due[sent:]:
            row.attempts += 1
            row.next_attempt_at = now + retry_delay(row.attempts)
            row.last_error = error[:500]
        models.SiemOutbox.objects.bulk_update(
            due, ["state", "attempts", "next_attempt_at", "sent_at", "last_error"]
        )
    return sent, len(due) - sent, error


def forward_siem(
    *,
    limit: int = FORWARD_LIMIT,
    batch_size: int = FORWARD_BATCH,
    now: datetime | None = None,
    retry_now: bool = False,
) -> ForwardResult:
    """Send due Security events from the outbox to the collector, up to `limit` of them.

    Batches go out until none is due, or the collector fails: the failed events wait
    with a growing delay (retry_delay) and are sent by a later run. `retry_now` sends the
    events still waiting out that delay as well (`manage.py forward_siem` does).
    """
    if not settings.SIEM_SYSLOG_URL:
        result = ForwardResult(configured=False, waiting=_waiting())
        _log(result, changed=False)
        return result
    collector = syslog.Collector.from_url(settings.SIEM_SYSLOG_URL)
    hostname = settings.SIEM_SYSLOG_HOSTNAME or socket.gethostname()
    result = ForwardResult()
    while result.sent < limit:
        size = min(batch_size, limit - result.sent)
        sent, failed, error = _forward_batch(
            collector, size, now or timezone.now(), hostname, retry_now=retry_now
        )
        result.sent += sent
        if failed:
            result.failed, result.error = failed, error
            logger.warning("SIEM collector failed; %d events wait for a retry: %s", failed, error)
            break
        if sent < size:
            break
    result.waiting = _waiting()
    _log(result, changed=result.changed)
    return result


# --- For the worker -----------------------------------------------------------------------

# The jobs `manage.py run_worker` runs, by the names of their commands and intervals.
JOBS: dict[str, Callable[[], object]] = {
    "reconcile_sip": reconcile_sip_sessions,
    "expire_secure_messages": expire_secure_messages,
    "purge_logs": purge_logs,
    "forward_siem": forward_siem,
}
