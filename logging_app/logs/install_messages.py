"""Install Messages: the messages that carry an app's install link to an account."""

from .. import models
from ..demo.messages import install_message_records
from .spec import (
    ACCOUNT,
    BOOLEAN,
    CHOICE,
    LAST,
    TIMESTAMP,
    AccountFact,
    AccountLink,
    Column,
    LogSpec,
)

SPEC = LogSpec(
    slug="install-messages",
    title="Install Messages",
    model=models.InstallMessage,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        Column("account_name", ACCOUNT, account="account"),
        Column("platform"),
        Column("variant", CHOICE),
        Column("sent", BOOLEAN),
        Column("sent_by"),
        Column("recipient"),
        Column("message_type", CHOICE),
    ),
    filters=("variant", "message_type", "sent"),
    search_fields=("account_name", "platform", "sent_by", "recipient"),
    account_links=(AccountLink("account_name", "account"),),
    ingest_names={"account": "account_name"},
    demo=install_message_records,
    outcome=("sent", "message_type"),
    account_facts=(
        AccountFact("Last install message", LAST, shows=("sent", "platform", "message_type")),
    ),
)
