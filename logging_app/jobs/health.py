"""The appliance's health, watched: each warning recorded once as a Security event.

The pages show the warnings (logging_app/health.py); this job records them, once per
outage, so that the SIEM hears of them (CON-530 heartbeats stopped, CON-531 a log silent).
An outage is known by the Security log itself: heartbeats that stopped are recorded
already when a CON-530 event is newer than the last heartbeat, a silent log when a
CON-531 event naming it is newer than its newest record. Once heartbeats (or records)
arrive again, the next stop is a new outage with a new event. Nothing else is stored.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from .. import models, services, siem
from ..health import Health, LogHealth, appliance_health
from .report import log_result

HEARTBEATS_STOPPED = "heartbeats_stopped"
LOG_SILENT = "log_silent"


@dataclass
class HealthCheckResult:
    warnings: list[str] = field(default_factory=list)
    recorded: int = 0

    @property
    def changed(self) -> bool:
        return self.recorded > 0

    def __str__(self) -> str:
        found = "; ".join(self.warnings) if self.warnings else "the appliance is healthy"
        plural = "" if self.recorded == 1 else "s"
        return f"check_health: {found}; {self.recorded} Security event{plural} recorded"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _recorded_since(action: str, since: datetime, *, log: str = "") -> bool:
    """Whether the console recorded `action` (about `log`) after `since`: through the
    Security log's (source log, time) index, a few rows at most."""
    events = models.SecurityEvent.objects.filter(
        source_log=models.SourceLog.CONSOLE,
        signature_id=siem.CONSOLE_SIGNATURES[action].signature_id,
        timestamp__gt=since,
    )
    if not log:
        return events.exists()
    for details in events.values_list("details", flat=True):
        received = siem.parse_cef(details)
        if received and dict(received.extension).get("cs1") == log:
            return True
    return False


def _heartbeats_stopped_record(health: Health) -> None:
    services.console_event_record(
        action=HEARTBEATS_STOPPED,
        user="",
        at=health.checked,
        extensions={
            "cs1Label": "lastHeartbeat",
            "cs1": _iso(health.last_heartbeat),
            "cn1Label": "expectedSeconds",
            "cn1": int(health.expected.total_seconds()),
            "msg": f"No heartbeat from the appliance for {health.heartbeat_age_words} "
            f"(expected at least every {health.expected_words}); the last one at "
            f"{_iso(health.last_heartbeat)}.",
        },
    )


def _log_silent_record(health: Health, log: LogHealth) -> None:
    services.console_event_record(
        action=LOG_SILENT,
        user="",
        at=health.checked,
        extensions={
            "cs1Label": "log",
            "cs1": log.spec.slug,
            "cs2Label": "newestRecord",
            "cs2": _iso(log.newest),
            "msg": f"{log.spec.title} has received nothing for {log.lag_words}; "
            f"usually a record every {log.usual_words}.",
        },
    )


def _one_at_a_time() -> None:
    # Two workers checking at once would both find the outage unrecorded. SQLite writes
    # one transaction at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["check_health"])


def check_health(*, now: datetime | None = None) -> HealthCheckResult:
    """Record a Security event for each warning of the appliance's health at `now` that
    is not recorded yet for this outage: heartbeats stopped, a log silent."""
    now = now or timezone.now()
    result = HealthCheckResult()
    with transaction.atomic():
        _one_at_a_time()
        health = appliance_health(now=now, fresh=True)
        if health.unknown:
            result.warnings.append("the health could not be read in time")
        if health.no_heartbeat:  # not an outage: nothing to record
            result.warnings.append("no heartbeat received yet")
        if health.heartbeats_stopped:
            result.warnings.append(f"no heartbeat for {health.heartbeat_age_words}")
            if not _recorded_since(HEARTBEATS_STOPPED, health.last_heartbeat):
                _heartbeats_stopped_record(health)
                result.recorded += 1
        for log in health.silent_logs:
            result.warnings.append(f"{log.spec.slug} silent for {log.lag_words}")
            if not _recorded_since(LOG_SILENT, log.newest, log=log.spec.slug):
                _log_silent_record(health, log)
                result.recorded += 1
    log_result(result, changed=result.changed)
    return result
