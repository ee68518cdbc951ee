"""System: events outside the web appliance's own scope (update, reboot, backup, …)."""

from .. import models
from ..demo.events import heartbeat_record, system_records
from .spec import CHOICE, TIMESTAMP, Column, Heartbeat, LogSpec, SiemMapping, Signature

SPEC = LogSpec(
    slug="system",
    title="System",
    model=models.SystemEvent,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        Column("event_type", CHOICE),
        Column("level", CHOICE),
        Column("message"),
        Column("details"),
    ),
    filters=("event_type", "level"),
    search_fields=("message", "details"),
    siem=SiemMapping(
        field="event_type",
        signatures={
            "UPDATE": Signature("SYS-100", "Appliance updated", 4),
            "REBOOT": Signature("SYS-101", "Appliance rebooted", 5),
            "BACKUP": Signature("SYS-110", "Appliance backup", 3),
            "RESTORE": Signature("SYS-111", "Appliance restored", 7),
        },
        extensions=(("msg", "message"), ("cs1", "event_type")),
        cs1_label="eventType",
    ),
    demo=system_records,
    heartbeat=Heartbeat(
        lookups={"event_type": models.SystemEventType.HEARTBEAT}, record=heartbeat_record
    ),
)
