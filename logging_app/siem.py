"""SIEM rewriting: which events of the other logs become Security events, and CEF lines.

The mapping below is the one table of security-relevant events; docs/siem.md mirrors it.
CEF escaping follows the ArcSight CEF specification: in the header `\\` and `|` are
escaped; in extension values `\\`, `=`, newline and carriage return.
"""

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

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
    return _cef_header(signature_id, name, severity) + _cef_extension(timestamp, extensions)


def _cef_header(signature_id: str, name: str, severity: int) -> str:
    """The line up to its extension: the same for every event of one signature."""
    parts = [
        settings.SIEM_DEVICE_VENDOR,
        settings.SIEM_DEVICE_PRODUCT,
        settings.SIEM_DEVICE_VERSION,
        signature_id,
        name,
        severity,
    ]
    return "|".join(["CEF:0", *(_escape_header(part) for part in parts), ""])


def _cef_extension(timestamp: datetime, extensions: dict[str, object] | None) -> str:
    fields = {"rt": _epoch_ms(timestamp)}
    fields.update(
        {key: value for key, value in (extensions or {}).items() if value not in ("", None)}
    )
    return " ".join(f"{key}={_escape_extension(value)}" for key, value in fields.items())


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


# What a SIEM collector wants to know of each source record, in CEF's own keys: the
# extension key and the column it comes from, per source log. cs1 is the column that made
# the record security-relevant, labelled by cs1Label.
_EXTENSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "web-sessions": (("suser", "principal"), ("src", "ip_address"), ("cs1", "event_type")),
    "system": (("msg", "message"), ("cs1", "event_type")),
    "secure-messages": (
        ("suser", "sender"),
        ("duser", "recipient"),
        ("externalId", "uuid"),
        ("cs1", "status"),
    ),
    "cdr": (
        ("suser", "caller_number"),
        ("duser", "callee_number"),
        ("externalId", "call_id"),
        ("cs1", "hangup_cause"),
    ),
}
_CS1_LABELS = {
    "web-sessions": "eventType",
    "system": "eventType",
    "secure-messages": "status",
    "cdr": "hangupCause",
}
_ACCOUNT_COLUMNS = ("principal", "sender", "account_name", "username")


def _extensions(source_log: str, row: Mapping[str, object]) -> dict[str, object]:
    extensions: dict[str, object] = {}
    for key, column in _EXTENSIONS.get(source_log, ()):
        if key == "cs1":
            extensions["cs1Label"] = _CS1_LABELS[source_log]
        extensions[key] = row[column]
    return extensions


def account_name(row: Mapping[str, object]) -> str:
    """The account a row's Security event is about: its event's `account_name`."""
    for column in _ACCOUNT_COLUMNS:
        if value := row.get(column):
            return value
    return ""


# Field → value → signature, per source log: one dictionary lookup per field and row.
_SIGNATURES_BY_LOG: dict[str, dict[str, dict[str, Signature]]] = {}
for (_log, _field, _value), _signature in SIGNATURES.items():
    _SIGNATURES_BY_LOG.setdefault(_log, {}).setdefault(_field, {})[_value] = _signature


def signature_for(source_log: str, row: Mapping[str, object]) -> Signature | None:
    """The signature a row of `source_log` (its column values) is rewritten with, if any."""
    for field, by_value in _SIGNATURES_BY_LOG.get(source_log, {}).items():
        if (signature := by_value.get(row.get(field))) is not None:
            return signature
    return None


def security_events_for(
    source_log: str, rows: Iterable[Mapping[str, object]], time_field: str
) -> Iterator[dict[str, object]]:
    """The Security events that stored rows of `source_log` rewrite into, as column values.

    Each row carries its primary key under "id": the event's source record. The events
    come one by one, as ingest streams them into their table.
    """
    headers: dict[Signature, str] = {}  # a batch's events share a few signatures
    for row in rows:
        signature = signature_for(source_log, row)
        if signature is None:
            continue
        if signature not in headers:
            headers[signature] = _cef_header(
                signature.signature_id, signature.name, signature.severity
            )
        timestamp = row[time_field]
        yield {
            "event_id": uuid.uuid4(),
            "timestamp": timestamp,
            "severity": signature.severity,
            "signature_id": signature.signature_id,
            "name": signature.name,
            "source_log": source_log,
            "source_id": row["id"],
            "account_name": account_name(row),
            "details": headers[signature] + _cef_extension(timestamp, _extensions(source_log, row)),
        }
