"""SIEM forwarding: the outbox's Security events sent to the syslog collector."""

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import models, siem, syslog
from .report import log_result, logger

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
        log_result(result, changed=False)
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
    log_result(result, changed=result.changed)
    return result
