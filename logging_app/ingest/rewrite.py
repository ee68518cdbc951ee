"""SIEM rewriting: Security events made from other logs' stored rows, and queued."""

from .. import models, siem
from ..logs import LogSpec, log_for_model
from .store import insert


def rewrite_security_events(spec: LogSpec, rows: list[dict]) -> None:
    """Rewrite stored rows into Security events, and queue every new one for the SIEM.

    The one place Security events are made from other logs' rows: ingest calls it for new
    and newly relevant rows, the expiry job for the messages it expires. The outbox row is
    written in the same transaction as its event, so no event is stored without being
    queued (see jobs.forward_siem), and the events are added to their log's aggregates.
    """
    if spec.model is models.SecurityEvent:
        events = rows  # they arrived as Security events and are stored already
    else:
        # An event is linked to the accounts its row was linked to on ingest (by username
        # or by virtual number, as the row's log matches them): no lookup, so that the
        # events stream into their table as they are written (see copy_insert).
        relevant = [row for row in rows if siem.signature_for(spec.slug, row)]
        events = siem.security_events_for(spec.slug, relevant, spec.time_field)
        events = insert(models.SecurityEvent, events, len(relevant))
        for aggregate in log_for_model(models.SecurityEvent).aggregates:
            aggregate.count(events, 1)
    outbox = ({"security_event_id": event["id"]} for event in events)
    insert(models.SiemOutbox, outbox, len(events))
