"""Writes of the console's own settings; each change is recorded as a Security event."""

import uuid

from django.db import transaction
from django.utils import timezone

from . import ingest, models, siem


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


def console_event_record(*, action: str, user: str, extensions: dict) -> models.SecurityEvent:
    """Store a Security event about `user`'s `action` in this console.

    `action` names its signature in siem.SIGNATURES, under the "console" log.
    """
    signature = siem.SIGNATURES[("console", "action", action)]
    now = timezone.now()
    event_id = uuid.uuid4()
    details = siem.cef_line(
        signature_id=signature.signature_id,
        name=signature.name,
        severity=signature.severity,
        timestamp=now,
        extensions={"suser": user, "act": action, **extensions},
    )
    result = ingest.ingest_records(
        log="security",
        records=[
            {
                "event_id": str(event_id),
                "timestamp": now.isoformat(),
                "severity": signature.severity,
                "signature_id": signature.signature_id,
                "name": signature.name,
                "source_log": models.SourceLog.CONSOLE,
                "account": user[:150],
                "details": details,
            }
        ],
    )
    if result.rejected:
        raise ValueError(f"The {action} event was refused: {result.rejected}")
    return models.SecurityEvent.objects.get(event_id=event_id)
