"""Test data: one plain function per model, with sensible defaults and aware date-times.

Each `make_<log>()` saves one row, counted in its log's figures as ingest counts the rows
it stores; keyword arguments override any field. Giving an Account link (`account=`,
`caller_account=`, …) also fills the name the appliance would have sent beside it, unless
that is given too.
"""

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Model
from django.utils import timezone

from logging_app import models
from logging_app.ingest import row_values
from logging_app.logs import LOGS, LogSpec
from tests.ninth_log.models import VoicemailAction, VoicemailEvent

_numbers = itertools.count(1)


def _next() -> int:
    return next(_numbers)


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


def _counted[M: Model](record: M) -> M:
    """The record just saved, added to its log's aggregates (the overview's hours, the
    account's call days) as ingest adds what it stores."""
    spec = next((spec for spec in LOGS.values() if spec.model is type(record)), None)
    for aggregate in spec.aggregates if spec else ():
        aggregate.count([row_values(record)], 1)
    return record


def make_group(**overrides) -> models.AccountGroup:
    n = _next()
    fields = {"name": f"group-{n}", "description": f"Group {n}"} | overrides
    return models.AccountGroup.objects.create(**fields)


def make_account(**overrides) -> models.Account:
    n = _next()
    fields = {
        "username": f"user{n}",
        "description": f"User {n}",
        "virtual_number": f"+3906{n:08d}",
    } | overrides
    return models.Account.objects.create(**fields)


def _name_of(overrides: dict, *, link: str, source: str, attribute: str = "username") -> None:
    """Fill the received name from the Account link, as ingest would have matched it."""
    account = overrides.get(link)
    if account is not None and source not in overrides:
        overrides[source] = getattr(account, attribute)


def make_security_event(**overrides) -> models.SecurityEvent:
    n = _next()
    _name_of(overrides, link="account", source="account_name")
    fields = {
        "timestamp": _now(),
        "severity": 5,
        "signature_id": f"SIG-{n}",
        "name": f"Security event {n}",
        "source_log": models.SourceLog.APPLIANCE,
        "details": f"CEF:0|Secure Voice|Logging Console|1.0|SIG-{n}|Security event {n}|5|",
    } | overrides
    return _counted(models.SecurityEvent.objects.create(**fields))


def make_system_event(**overrides) -> models.SystemEvent:
    n = _next()
    fields = {
        "timestamp": _now(),
        "event_type": models.SystemEventType.HEARTBEAT,
        "level": models.Level.INFO,
        "message": f"System message {n}",
        "details": f"System details {n}",
    } | overrides
    return _counted(models.SystemEvent.objects.create(**fields))


def make_web_session_event(**overrides) -> models.WebSessionEvent:
    n = _next()
    _name_of(overrides, link="account", source="principal")
    fields = {
        "date_created": _now(),
        "event_type": models.WebSessionEventType.SUCCESS_INTERACTIVE,
        "principal": f"principal{n}",
        "ip_address": f"192.0.2.{n % 250 + 1}",
    } | overrides
    return _counted(models.WebSessionEvent.objects.create(**fields))


def make_call_detail_record(**overrides) -> models.CallDetailRecord:
    n = _next()
    _name_of(overrides, link="caller_account", source="caller_number", attribute="virtual_number")
    _name_of(overrides, link="callee_account", source="callee_number", attribute="virtual_number")
    _name_of(overrides, link="caller_account", source="caller", attribute="description")
    _name_of(overrides, link="callee_account", source="callee", attribute="description")
    fields = {
        "call_date": _now(),
        "caller_number": f"+3907{n:08d}",
        "caller": f"Caller {n}",
        "caller_group": "Sales",
        "callee_number": f"+3908{n:08d}",
        "callee": f"Callee {n}",
        "callee_group": "Support",
        "total_duration": 95,
        "call_duration": 80,
        "disposition": models.Disposition.ANSWERED,
        "hangup_cause": models.HangupCause.NORMAL_CLEARING,
        "call_id": f"1732440900.{n}",
        "call_type": models.CallType.CALL,
        "call_route": "",
    } | overrides
    return _counted(models.CallDetailRecord.objects.create(**fields))


def make_sip_session_event(**overrides) -> models.SipSessionEvent:
    n = _next()
    _name_of(overrides, link="account", source="username")
    fields = {
        "timestamp": _now(),
        "username": f"sipuser{n}",
        "event": models.SipEvent.REGISTER,
        "details": f"SIP details {n}",
        "remote_address": f"198.51.100.{n % 250 + 1}:5061",
    } | overrides
    return _counted(models.SipSessionEvent.objects.create(**fields))


def make_secure_message(**overrides) -> models.SecureMessage:
    n = _next()
    _name_of(overrides, link="sender_account", source="sender")
    _name_of(overrides, link="recipient_account", source="recipient")
    received = overrides.get("received", _now())
    fields = {
        "uuid": uuid.uuid4(),
        "sender": f"sender{n}",
        "recipient": f"recipient{n}",
        "tech_message": False,
        "api_version": "2",
        "status": models.SecureMessageStatus.DELIVERED,
        "send_attempts": 1,
        "received": received,
        "processed": received + timedelta(seconds=3),
    } | overrides
    return _counted(models.SecureMessage.objects.create(**fields))


def make_install_message(**overrides) -> models.InstallMessage:
    n = _next()
    _name_of(overrides, link="account", source="account_name")
    fields = {
        "timestamp": _now(),
        "account_name": f"installee{n}",
        "platform": "Android",
        "variant": models.Variant.ZRTP,
        "sent": True,
        "sent_by": "admin",
        "recipient": f"installee{n}@example.com",
        "message_type": models.MessageType.EMAIL,
    } | overrides
    return _counted(models.InstallMessage.objects.create(**fields))


def make_activation_message(**overrides) -> models.ActivationMessage:
    n = _next()
    _name_of(overrides, link="account", source="account_name")
    timestamp = overrides.get("timestamp", _now())
    fields = {
        "timestamp": timestamp,
        "consumed": False,
        "account_name": f"activee{n}",
        "sent": True,
        "sent_by": "admin",
        "recipient": f"+3935{n:08d}",
        "message_type": models.MessageType.SMS,
        "message_link": f"https://provisioning.example.com/p/{n}",
        "token": f"token-{n}-{uuid.uuid4().hex}",
        "validity": timestamp + timedelta(days=7),
    } | overrides
    return _counted(models.ActivationMessage.objects.create(**fields))


def make_voicemail_event(**overrides) -> VoicemailEvent:
    """A row of the ninth log (tests/ninth_log), whose tests register it."""
    n = _next()
    _name_of(overrides, link="account", source="account_name")
    timestamp = overrides.get("timestamp", _now())
    fields = {
        "timestamp": timestamp,
        "action": VoicemailAction.LEFT,
        "account_name": f"mailbox{n}",
        "caller_number": f"+3909{n:08d}",
        "duration": 42,
        "heard": timestamp + timedelta(minutes=5),
    } | overrides
    return _counted(VoicemailEvent.objects.create(**fields))


LOG_FACTORIES: dict[str, Callable[..., Model]] = {
    "security": make_security_event,
    "system": make_system_event,
    "web-sessions": make_web_session_event,
    "cdr": make_call_detail_record,
    "sip-sessions": make_sip_session_event,
    "secure-messages": make_secure_message,
    "install-messages": make_install_message,
    "activation-messages": make_activation_message,
    "voicemail": make_voicemail_event,
}


def make_log_record(slug: str, **overrides) -> Model:
    """One row of the log the registry calls `slug`."""
    return LOG_FACTORIES[slug](**overrides)


# --- Records as the appliance sends them to the ingest API (wire format) ---------------


def cdr_report(**overrides) -> dict:
    """A valid CDR as the appliance reports it; overrides replace fields."""
    record = {
        "event_id": str(uuid.uuid4()),
        "call_date": "2026-11-24T09:15:00+01:00",
        "caller_number": "+390612340001",
        "caller": "Alice Rossi",
        "caller_group": "Sales",
        "callee_number": "+390612340002",
        "callee": "Bruno Bianchi",
        "callee_group": "Support",
        "total_duration": 95,
        "call_duration": 80,
        "disposition": "ANSWERED",
        "hangup_cause": "NORMAL_CLEARING",
        "call_id": "1732440900.17",
        "call_type": "CALL",
        "call_route": "",
    }
    return record | overrides


def secure_message_report(**overrides) -> dict:
    """A valid secure-message report; overrides replace fields."""
    record = {
        "uuid": str(uuid.uuid4()),
        "from": "alice",
        "to": "bruno",
        "status": "ENQUEUED",
        "received": "2026-11-24T10:00:00Z",
    }
    return record | overrides


def minimal_report(spec: LogSpec, **overrides) -> dict:
    """A record of the log as the appliance names its fields, with only those the log cannot
    do without (its key, and what the model neither defaults nor leaves empty), each a plain
    value, dated 2026-11-24 09:00 UTC; overrides replace fields."""
    wire_names = {name: wire for wire, name in spec.ingest_names.items()}
    plain = {
        "DateTimeField": "2026-11-24T09:00:00+00:00",
        "BooleanField": False,
        "GenericIPAddressField": "192.0.2.1",
    }
    record = {}
    for field in spec.model._meta.concrete_fields:
        optional = field.primary_key or field.null or field.blank or field.has_default()
        if optional and field.name != spec.key_field:
            continue
        kind = field.get_internal_type()
        if field.choices:
            value = field.flatchoices[0][0]
        elif kind == "UUIDField":
            value = str(uuid.uuid4())
        else:
            value = plain.get(kind, 0 if kind.endswith("IntegerField") else "x")
        record[wire_names.get(field.name, field.name)] = value
    return record | overrides


# --- The demo's stories (logging_app/demo/stories.py) ------------------------------------


def demo_story_call() -> models.CallDetailRecord:
    """The demo's story call: Olga's call to Hugo at noon (Rome) that failed on their
    security models."""
    [call] = [
        call
        for call in models.CallDetailRecord.objects.filter(
            caller_account__username="olga.moretti",
            callee_account__username="hugo.ricci",
            hangup_cause=models.HangupCause.BEARERCAPABILITY_NOTAVAIL,
        )
        if f"{call.call_date.astimezone(ZoneInfo('Europe/Rome')):%H:%M:%S}" == "12:00:00"
    ]
    return call
