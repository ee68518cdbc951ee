"""Writes of the console itself: its settings, and the events it records about its own use.

Those events go through the one ingest service, as the appliance's do.
"""

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import ingest, models, siem
from .logs import log_for_model


def _policy_terms(period: str, duration: int) -> str:
    terms = f"{duration} {period}"
    return f"{terms} (No-CDR)" if duration == 0 else terms


def cdr_policy_update(
    *, policy: models.CdrPolicy, period: str, duration: int, changed_by: str
) -> models.SecurityEvent | None:
    """Set the CDR privacy policy, and record who changed it from what to what.

    The policy before the change is read from the database, not from `policy`: an admin
    form may have set the new values on it already. `policy` gets the new values too.
    Saving the same values again is no change: nothing is recorded, and None returned.
    The Security event goes through the ingest service, so it is queued for the SIEM.
    """
    if period not in models.CdrPeriod.values:
        raise ValueError(f"period must be one of {', '.join(models.CdrPeriod.values)}")
    if type(duration) is not int or duration < 0:
        raise ValueError("duration must be a whole number ≥ 0")
    with transaction.atomic():
        stored, _ = models.CdrPolicy.objects.select_for_update().get_or_create(
            id=models.CdrPolicy.SINGLETON_ID
        )
        policy.period, policy.duration = period, duration
        before = _policy_terms(stored.period, stored.duration)
        after = _policy_terms(period, duration)
        if before == after:
            return None
        stored.period, stored.duration = period, duration
        stored.save(update_fields=["period", "duration"])
        return console_event_record(
            action="cdr_policy_changed",
            user=changed_by,
            extensions={
                "cs1Label": "previousPolicy",
                "cs1": before,
                "cs2Label": "newPolicy",
                "cs2": after,
                "msg": f"{changed_by} changed the CDR policy from {before} to {after}: "
                f"{stored.describe()}",
            },
        )


def console_event_record(
    *, action: str, user: str, extensions: dict, at: datetime | None = None
) -> models.SecurityEvent:
    """Store a Security event about `user`'s `action` in this console, at `at` (now).

    `action` names its signature in siem.CONSOLE_SIGNATURES.
    """
    signature = siem.CONSOLE_SIGNATURES[action]
    now = at or timezone.now()
    event_id = uuid.uuid4()
    details = siem.cef_line(
        signature_id=signature.signature_id,
        name=signature.name,
        severity=signature.severity,
        timestamp=now,
        extensions={"suser": user, "act": action, **extensions},
    )
    _own_event_ingest(
        log_for_model(models.SecurityEvent).slug,
        {
            "event_id": str(event_id),
            "timestamp": now.isoformat(),
            "severity": signature.severity,
            "signature_id": signature.signature_id,
            "name": signature.name,
            "source_log": models.SourceLog.CONSOLE,
            "account": user[:150],
            "details": details,
        },
    )
    return models.SecurityEvent.objects.get(event_id=event_id)


def web_session_event_record(*, event_type: str, principal: str, ip_address: str | None) -> None:
    """Store a Web Sessions event about this console, as the appliance would report it."""
    _own_event_ingest(
        log_for_model(models.WebSessionEvent).slug,
        {
            "event_id": str(uuid.uuid4()),
            "date_created": timezone.now().isoformat(),
            "event_type": event_type,
            "principal": principal[:150],
            "ip_address": ip_address,
        },
    )


def _own_event_ingest(log: str, record: dict) -> None:
    result = ingest.ingest_records(log=log, records=[record])
    if result.rejected:
        raise ValueError(f"The console's own {log} event was refused: {result.rejected}")
