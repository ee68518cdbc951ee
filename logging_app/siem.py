"""SIEM rewriting: which events of the other logs become Security events, and CEF lines.

Each log declares which of its events are security-relevant (its SiemMapping, in
logs/<log>.py); `signatures()` gathers them with the console's own, and docs/siem.md
mirrors the table.
CEF escaping follows the ArcSight CEF specification: in the header `\\` and `|` are
escaped; in extension values `\\`, `=`, newline and carriage return. Whatever an event's
details hold, event_cef_line() gives one well-formed line: a received CEF line is parsed
and written again with these escapes.
"""

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Model

from . import models
from .logs import LOGS
from .logs.spec import SiemMapping, Signature

# What the console itself does that is security-relevant (services.console_event_record).
CONSOLE_SIGNATURES: dict[str, Signature] = {
    "cdr_policy_changed": Signature("CON-500", "CDR policy changed", 8),
    "log_exported": Signature("CON-510", "Log exported", 4),
    "login_locked_out": Signature(
        "CON-520", "Console sign-in locked out after repeated failures", 8
    ),
    # Recorded once per outage by the check_health job (jobs/health.py).
    "heartbeats_stopped": Signature("CON-530", "Appliance heartbeats stopped", 7),
    "log_silent": Signature("CON-531", "Log silent for much longer than usual", 5),
}


def signatures() -> dict[tuple[str, str, str], Signature]:
    """(source log, field, value) → signature: the one table of security-relevant events,
    from the logs' SIEM mappings (logs/<log>.py) and the console's own."""
    table = {
        (spec.slug, spec.siem.field, value): signature
        for spec in LOGS.values()
        if spec.siem is not None
        for value, signature in spec.siem.signatures.items()
    }
    table.update({("console", "action", action): sig for action, sig in CONSOLE_SIGNATURES.items()})
    return table


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
    return _header_text(parts)


def _header_text(parts: Iterable[object]) -> str:
    """ "CEF:0|" and the six header fields, each escaped and ended by a pipe."""
    return "|".join(["CEF:0", *(_escape_header(part) for part in parts), ""])


def _extension_text(pairs: Iterable[tuple[str, object]]) -> str:
    return " ".join(f"{key}={_escape_extension(value)}" for key, value in pairs)


def _cef_extension(timestamp: datetime, extensions: dict[str, object] | None) -> str:
    fields = {"rt": _epoch_ms(timestamp)}
    fields.update(
        {key: value for key, value in (extensions or {}).items() if value not in ("", None)}
    )
    return _extension_text(fields.items())


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
        return _header_text(self.header) + _extension_text(self.extension)


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


def _extensions(mapping: SiemMapping, row: Mapping[str, object]) -> dict[str, object]:
    """What a SIEM collector wants to know of a source record, in CEF's own keys. cs1 is
    the column that made the record security-relevant, labelled by cs1Label."""
    extensions: dict[str, object] = {}
    for key, column in mapping.extensions:
        if key == "cs1":
            extensions["cs1Label"] = mapping.cs1_label
        extensions[key] = row[column]
    return extensions


def _party(model: type[Model], name_field: str, link: str) -> Callable[[Mapping], tuple]:
    """(name, account id) of one party of a row: the name as received, the account its
    log's ingest linked it to (None when none matched, or the log keeps no link). The
    link's column is looked up once, not per row."""
    if not name_field:
        return lambda row: ("", None)
    attname = model._meta.get_field(link).attname if link else ""
    return lambda row: (row.get(name_field) or "", row.get(attname) if attname else None)


def _mapping(source_log: str) -> SiemMapping | None:
    spec = LOGS.get(source_log)
    return spec.siem if spec is not None else None


def signature_for(source_log: str, row: Mapping[str, object]) -> Signature | None:
    """The signature a row of `source_log` (its column values) is rewritten with, if any."""
    mapping = _mapping(source_log)
    if mapping is None:
        return None
    return mapping.signatures.get(row.get(mapping.field))


def security_events_for(
    source_log: str, rows: Iterable[Mapping[str, object]], time_field: str
) -> Iterator[dict[str, object]]:
    """The Security events that stored rows of `source_log` rewrite into, as column values.

    Each row carries its primary key under "id": the event's source record. The events
    come one by one, as ingest streams them into their table.
    """
    spec = LOGS.get(source_log)
    if spec is None or spec.siem is None:
        return
    mapping = spec.siem
    account_of = _party(spec.model, mapping.account_field, mapping.account_link)
    peer_of = _party(spec.model, mapping.peer_field, mapping.peer_link)
    headers: dict[Signature, str] = {}  # a batch's events share a few signatures
    for row in rows:
        signature = mapping.signatures.get(row.get(mapping.field))
        if signature is None:
            continue
        if signature not in headers:
            headers[signature] = _cef_header(
                signature.signature_id, signature.name, signature.severity
            )
        timestamp = row[time_field]
        account, peer = account_of(row), peer_of(row)
        yield {
            "event_id": uuid.uuid4(),
            "timestamp": timestamp,
            "severity": signature.severity,
            "signature_id": signature.signature_id,
            "name": signature.name,
            "source_log": source_log,
            "source_id": row["id"],
            "account_name": account[0],
            "account_id": account[1],
            "peer_name": peer[0],
            "peer_account_id": peer[1],
            "details": headers[signature] + _cef_extension(timestamp, _extensions(mapping, row)),
        }
