"""Voicemail: the ninth log's one module, as a log of another app declares itself."""

from logging_app.logs.spec import (
    ACCOUNT,
    CHOICE,
    DURATION,
    TIME,
    TIMESTAMP,
    AccountLink,
    Column,
    LogSpec,
)

from .models import VoicemailEvent

SPEC = LogSpec(
    slug="voicemail",
    title="Voicemail",
    model=VoicemailEvent,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        Column("action", CHOICE),
        Column("account_name", ACCOUNT, account="account"),
        Column("caller_number"),
        Column("duration", DURATION),
        Column("heard", TIME),
    ),
    filters=("action", "caller_number"),
    search_fields=("account_name", "caller_number"),
    account_links=(AccountLink("account_name", "account"),),
    ingest_names={"mailbox": "account_name"},
)
