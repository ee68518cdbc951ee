"""SIEM rewriting: which events of the other logs become Security events, and CEF lines.

The mapping below is the one table of security-relevant events; docs/siem.md mirrors it.
CEF escaping follows the ArcSight CEF specification: in the header `\\` and `|` are
escaped; in extension values `\\`, `=`, newline and carriage return. Whatever an event's
details hold, event_cef_line() gives one well-formed line: a received CEF line is parsed
and written again with these escapes.
"""

import re
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
    # A header field cannot hold a line break, escaped or not: one in an event's signature
    # id or name becomes a space, so that the line stays one line.
    return (
        str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    )


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


# A received line: "CEF:0|" and six header fields, each ended by an unescaped pipe and
# holding no line break. A backslash goes with the character after it: \\ and \| are
# escapes, any other pair stands for itself.
_RECEIVED_HEADER = re.compile(r"CEF:0\|" + r"([^\\|\r\n]*(?:\\[^\r\n][^\\|\r\n]*)*)\|" * 6)
# The extension: key=value pairs, each key alphanumeric, each value running up to the next
# " key=" (a space, a key, an unescaped '='). No escape takes a space with it, so every
# " key=" starts a pair. A backslash escapes only what CEF escapes in a value (\\ \= \n
# \r); before anything else it stands for itself.
_FIRST_KEY = re.compile(r"[A-Za-z0-9]+=")
_PAIR_SEPARATOR = re.compile(r" (?=[A-Za-z0-9]+=)")
_HEADER_ESCAPE = re.compile(r"\\([\\|])")
_EXTENSION_ESCAPE = re.compile(r"\\([\\=nr])")
_EXTENSION_UNESCAPED = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
# The most of each header field a received line may carry, as ArcSight stores them
# (deviceVendor, deviceProduct, deviceVersion, deviceEventClassId, name): a longer field
# would be cut with the datagram. The severity is one of 0–10, as the console's own.
_RECEIVED_HEADER_LENGTHS = (63, 63, 31, 1023, 512)
_SEVERITY = re.compile(r"10|[0-9]")


@dataclass(frozen=True)
class ReceivedCef:
    """A CEF line as received, unescaped: what it says, whatever escapes it was written with."""

    header: tuple[str, ...]  # vendor, product, version, signature id, name, severity
    extension: tuple[tuple[str, str], ...]  # (key, value) pairs, in order, repeats kept

    def line(self) -> str:
        """The line again, with the escapes of the CEF specification and nothing else."""
        header = "|".join(["CEF:0", *(_escape_header(field) for field in self.header), ""])
        return header + " ".join(f"{key}={_escape_extension(v)}" for key, v in self.extension)


def parse_cef(text: str) -> ReceivedCef | None:
    """The CEF:0 line `text` holds, or None when it is not one.

    A backslash before anything but the characters CEF escapes stands for itself, and a
    line break or '=' left unescaped in a value is part of it: the line is read as a CEF
    parser splits it, and written again it says the same with nothing lost.
    """
    header = _RECEIVED_HEADER.match(text)
    if header is None:
        return None
    fields = tuple(
        _HEADER_ESCAPE.sub(r"\1", field) if "\\" in field else field for field in header.groups()
    )
    if not _SEVERITY.fullmatch(fields[5]) or any(
        len(field) > limit
        for field, limit in zip(fields[:5], _RECEIVED_HEADER_LENGTHS, strict=True)
    ):
        return None
    extension, pairs = text[header.end() :], []
    if extension and not _FIRST_KEY.match(extension):
        return None
    for pair in _PAIR_SEPARATOR.split(extension) if extension else ():
        key, _, value = pair.partition("=")
        if "\\" in value:
            value = _EXTENSION_ESCAPE.sub(lambda m: _EXTENSION_UNESCAPED[m[1]], value)
        pairs.append((key, value))
    return ReceivedCef(fields, tuple(pairs))


def event_cef_line(event: models.SecurityEvent) -> str:
    """The CEF line of a Security event, always one well-formed line.

    Its details when they are a CEF line (received from the appliance, or rewritten here),
    written again with canonical escapes; otherwise a line of the event's own fields,
    with the details in `msg`.
    """
    if received := parse_cef(event.details):
        return received.line()
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
