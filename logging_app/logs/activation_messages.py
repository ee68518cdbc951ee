"""Activation Messages: activation links sent to accounts, and whether they were consumed."""

from .. import models
from ..demo.messages import activation_message_records
from .spec import (
    ACCOUNT,
    BOOLEAN,
    CHOICE,
    LAST,
    SECRET,
    TIMESTAMP,
    AccountFact,
    AccountLink,
    Column,
    IngestPolicy,
    LogSpec,
)


def _merge(row: dict, report: dict) -> bool:
    """A later report may mark the message consumed; it is never unconsumed."""
    if report.get("consumed") and not row["consumed"]:
        row["consumed"] = True
        return True
    return False


SPEC = LogSpec(
    slug="activation-messages",
    title="Activation Messages",
    model=models.ActivationMessage,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        Column("consumed", BOOLEAN),
        Column("account_name", ACCOUNT, account="account"),
        Column("sent", BOOLEAN),
        Column("sent_by"),
        Column("recipient"),
        Column("message_type", CHOICE),
        # The detail page adds the message link, the token and the validity (DESIGN).
        Column("token", SECRET, listed=False),
    ),
    filters=("message_type", "consumed", "sent"),
    search_fields=("account_name", "sent_by", "recipient"),
    account_links=(AccountLink("account_name", "account"),),
    ingest_names={"account": "account_name"},
    ingest_policy=IngestPolicy(merge=_merge, merged_fields=("consumed",)),
    demo=activation_message_records,
    outcome=("sent", "consumed"),
    account_facts=(
        AccountFact("Last activation message", LAST, shows=("sent", "consumed", "message_type")),
    ),
)
