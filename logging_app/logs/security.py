"""Security: SIEM-formatted events, rewritten from the other logs or sent directly."""

from collections.abc import Iterable, Iterator

from django.db.models import Model

from .. import models, siem
from ..demo.events import security_records
from .spec import ACCOUNT, BLOCK, TIMESTAMP, AccountLink, Column, LogSpec, Panel, Partitioning


def _source(event: models.SecurityEvent) -> list[tuple[str, Model]]:
    """The record of another log the event was rewritten from, when it is still kept."""
    from . import LOGS  # the registry holds this module

    spec = LOGS.get(event.source_log)
    if event.source_id is None or spec is None:
        return []
    return [(spec.slug, row) for row in spec.model.objects.filter(pk=event.source_id)]


def _cef_lines(events: Iterable[models.SecurityEvent]) -> Iterator[str]:
    return (f"{siem.event_cef_line(event)}\n" for event in events)


SPEC = LogSpec(
    slug="security",
    title="Security",
    model=models.SecurityEvent,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        Column("severity"),
        Column("signature_id"),
        Column("name"),
        Column("source_log"),
        Column("details", BLOCK),
        Column("account_name", ACCOUNT, account="account", listed=False),
        Column("peer_name", ACCOUNT, account="peer_account", listed=False),
    ),
    filters=("severity", "source_log", "signature_id"),
    search_fields=("signature_id", "name", "details", "account_name", "peer_name"),
    account_links=(
        AccountLink("account_name", "account"),
        AccountLink("peer_name", "peer_account"),
    ),
    ingest_names={"account": "account_name", "peer": "peer_name"},
    panels=(
        Panel(
            "Source record",
            _source,
            empty="This event arrived directly; it was not rewritten from another log.",
        ),
    ),
    exports={"cef": _cef_lines},
    demo=security_records,
    outcome=("signature_id", "severity"),
    partitioning=Partitioning(days=30),
)
