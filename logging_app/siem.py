"""SIEM rewriting: which events of the other logs become Security events, and CEF lines.

The mapping below is the one table of security-relevant events; docs/siem.md mirrors it.
CEF escaping follows the ArcSight CEF specification: in the header `\\` and `|` are
escaped; in extension values `\\`, `=`, newline and carriage return.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Model

from . import models


@dataclass(frozen=True)
class Signature:
    signature_id: str
    name: str
    severity: int


# (source log, field, value) → signature. The field is the one whose value makes the
# event security-relevant; events not listed here are not rewritten.
SIGNATURES: dict[tuple[str, str, str], Signature] = {
    ("web-sessions", "event_type", "SUCCESS_INTERACTIVE"): Signature(
        "WEB-100", "Web console sign-in (interactive)", 3
    ),
    ("web-sessions", "event_type", "SUCCESS"): Signature("WEB-101", "Web console sign-in", 3),
    ("web-sessions", "event_type", "LOGOUT"): Signature("WEB-110", "Web console sign-out", 2),
    ("web-sessions", "event_type", "SESSION_TIMEOUT"): Signature(
        "WEB-111", "Web console session timed out", 2
    ),
    ("web-sessions", "event_type", "FAIL_USER_NOT_FOUND"): Signature(
        "WEB-200", "Web console sign-in failed: unknown user", 6
    ),
    ("web-sessions", "event_type", "FAIL_BAD_CREDENTIALS"): Signature(
        "WEB-201", "Web console sign-in failed: wrong password", 6
    ),
    ("web-sessions", "event_type", "FAIL_CREDENTIALS_EXPIRED"): Signature(
        "WEB-202", "Web console sign-in failed: credentials expired", 5
    ),
    ("system", "event_type", "UPDATE"): Signature("SYS-100", "Appliance updated", 4),
    ("system", "event_type", "REBOOT"): Signature("SYS-101", "Appliance rebooted", 5),
    ("system", "event_type", "BACKUP"): Signature("SYS-110", "Appliance backup", 3),
    ("system", "event_type", "RESTORE"): Signature("SYS-111", "Appliance restored", 7),
    ("secure-messages", "status", "EXPIRED"): Signature(
        "MSG-300", "Secure message expired undelivered", 3
    ),
    ("secure-messages", "status", "INVALID_RECIPIENT"): Signature(
        "MSG-301", "Secure message refused: invalid recipient", 4
    ),
    ("secure-messages", "status", "INVALID_DEVICE"): Signature(
        "MSG-302", "Secure message refused: invalid device", 4
    ),
    ("secure-messages", "status", "INVALID_PAYLOAD"): Signature(
        "MSG-303", "Secure message refused: invalid payload", 6
    ),
    ("cdr", "hangup_cause", "BEARERCAPABILITY_NOTAVAIL"): Signature(
        "CDR-400", "Call failed: incompatible security models", 7
    ),
    ("console", "action", "cdr_policy_changed"): Signature("CON-500", "CDR policy changed", 8),
    ("console", "action", "log_exported"): Signature("CON-510", "Log exported", 4),
    ("console", "action", "login_locked_out"): Signature(
        "CON-520", "Console sign-in locked out after repeated failures", 8
    ),
}


def _escape_header(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def _escape_extension(value: object) -> str:
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("=", "\\=")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def cef_line(
    *,
    signature_id: str,
    name: str,
    severity: int,
    timestamp: datetime,
    extensions: dict[str, object] | None = None,
) -> str:
    """One CEF:0 line, with the device vendor, product and version from the settings."""
    header = [
        "CEF:0",
        settings.SIEM_DEVICE_VENDOR,
        settings.SIEM_DEVICE_PRODUCT,
        settings.SIEM_DEVICE_VERSION,
        signature_id,
        name,
        str(severity),
    ]
    fields = {"rt": _epoch_ms(timestamp)}
    fields.update(
        {key: value for key, value in (extensions or {}).items() if value not in ("", None)}
    )
    extension = " ".join(f"{key}={_escape_extension(value)}" for key, value in fields.items())
    return "|".join([header[0], *(_escape_header(part) for part in header[1:])]) + "|" + extension


def event_cef_line(event: models.SecurityEvent) -> str:
    """The CEF line of a Security event: the one it arrived or was rewritten with."""
    if event.details.startswith("CEF:"):
        return event.details
    return cef_line(
        signature_id=event.signature_id,
        name=event.name,
        severity=event.severity,
        timestamp=event.timestamp,
        extensions={"suser": event.account_name, "msg": event.details},
    )


def _extensions(source_log: str, record: Model) -> dict[str, object]:
    """What a SIEM collector wants to know of each source record, in CEF's own keys."""
    match record:
        case models.WebSessionEvent():
            return {
                "suser": record.principal,
                "src": record.ip_address,
                "cs1Label": "eventType",
                "cs1": record.event_type,
            }
        case models.SystemEvent():
            return {"msg": record.message, "cs1Label": "eventType", "cs1": record.event_type}
        case models.SecureMessage():
            return {
                "suser": record.sender,
                "duser": record.recipient,
                "externalId": record.uuid,
                "cs1Label": "status",
                "cs1": record.status,
            }
        case models.CallDetailRecord():
            return {
                "suser": record.caller_number,
                "duser": record.callee_number,
                "externalId": record.call_id,
                "cs1Label": "hangupCause",
                "cs1": record.hangup_cause,
            }
    return {}


def _account_name(record: Model) -> str:
    for field in ("principal", "sender", "account_name", "username"):
        if value := getattr(record, field, ""):
            return value
    return ""


def signature_for(source_log: str, record: Model) -> Signature | None:
    for (log, field, value), signature in SIGNATURES.items():
        if log == source_log and getattr(record, field, None) == value:
            return signature
    return None


def security_events_for(
    source_log: str, records: Iterable[Model], time_field: str
) -> list[models.SecurityEvent]:
    """The Security events that stored records of `source_log` rewrite into, unsaved."""
    events = []
    for record in records:
        signature = signature_for(source_log, record)
        if signature is None:
            continue
        timestamp = getattr(record, time_field)
        events.append(
            models.SecurityEvent(
                timestamp=timestamp,
                severity=signature.severity,
                signature_id=signature.signature_id,
                name=signature.name,
                source_log=source_log,
                source_id=record.pk,
                account_name=_account_name(record),
                details=cef_line(
                    signature_id=signature.signature_id,
                    name=signature.name,
                    severity=signature.severity,
                    timestamp=timestamp,
                    extensions=_extensions(source_log, record),
                ),
            )
        )
    return events


def queue_for_forwarding(events: Iterable[models.SecurityEvent]) -> None:
    """Queue stored Security events for the SIEM collector (see jobs.forward_siem).

    Called wherever Security events are created, inside the same transaction, so that an
    event is never committed without its outbox row.
    """
    models.SiemOutbox.objects.bulk_create(
        [models.SiemOutbox(security_event_id=event.pk) for event in events], batch_size=1000
    )
