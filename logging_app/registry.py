"""One declaration per log: everything the shared list, detail, export and ingest paths need.

Adding a ninth log is a model, a table, a filterset and one entry here.
"""

from dataclasses import dataclass, field

from django.db import models as db_models

from . import filters, models, tables


@dataclass(frozen=True)
class AccountLink:
    """A field holding an account as received, and the Account link ingest fills from it.

    `match` is the Account field the received value is looked up by.
    """

    source: str
    link: str
    match: str = "username"


@dataclass(frozen=True)
class LogSpec:
    slug: str
    title: str
    model: type[db_models.Model]
    table: type[tables.LogTable]
    filterset: type[filters.LogFilterSet]
    account_links: tuple[AccountLink, ...] = ()
    # The field that makes a report of the same record recognisable on ingest.
    key_field: str = "event_id"
    # Ingest field names (the manual's, in snake_case) that differ from the model's.
    ingest_names: dict[str, str] = field(default_factory=dict)
    # A sentence the list page states above the table.
    notice: str = ""

    @property
    def time_field(self) -> str:
        return self.filterset.time_field

    @property
    def link_fields(self) -> tuple[str, ...]:
        return tuple(link.link for link in self.account_links)


_ACCOUNT = (AccountLink("account_name", "account"),)

LOGS: dict[str, LogSpec] = {
    spec.slug: spec
    for spec in (
        LogSpec(
            slug="security",
            title="Security",
            model=models.SecurityEvent,
            table=tables.SecurityEventTable,
            filterset=filters.SecurityEventFilter,
            account_links=_ACCOUNT,
            ingest_names={"account": "account_name"},
        ),
        LogSpec(
            slug="system",
            title="System",
            model=models.SystemEvent,
            table=tables.SystemEventTable,
            filterset=filters.SystemEventFilter,
        ),
        LogSpec(
            slug="web-sessions",
            title="Web Sessions",
            model=models.WebSessionEvent,
            table=tables.WebSessionEventTable,
            filterset=filters.WebSessionEventFilter,
            account_links=(AccountLink("principal", "account"),),
        ),
        LogSpec(
            slug="cdr",
            title="Call Details Record",
            model=models.CallDetailRecord,
            table=tables.CallDetailRecordTable,
            filterset=filters.CallDetailRecordFilter,
            account_links=(
                AccountLink("caller_number", "caller_account", match="virtual_number"),
                AccountLink("callee_number", "callee_account", match="virtual_number"),
            ),
            notice="Only finished calls are listed: calls in progress are never shown.",
        ),
        LogSpec(
            slug="sip-sessions",
            title="SIP Sessions",
            model=models.SipSessionEvent,
            table=tables.SipSessionEventTable,
            filterset=filters.SipSessionEventFilter,
            account_links=(AccountLink("username", "account"),),
        ),
        LogSpec(
            slug="secure-messages",
            title="Secure Messages",
            model=models.SecureMessage,
            table=tables.SecureMessageTable,
            filterset=filters.SecureMessageFilter,
            account_links=(
                AccountLink("sender", "sender_account"),
                AccountLink("recipient", "recipient_account"),
            ),
            key_field="uuid",
            ingest_names={"from": "sender", "to": "recipient"},
            notice=(
                "Only transport data is listed: the payload of a secure message is never "
                "received or stored by this console."
            ),
        ),
        LogSpec(
            slug="install-messages",
            title="Install Messages",
            model=models.InstallMessage,
            table=tables.InstallMessageTable,
            filterset=filters.InstallMessageFilter,
            account_links=_ACCOUNT,
            ingest_names={"account": "account_name"},
        ),
        LogSpec(
            slug="activation-messages",
            title="Activation Messages",
            model=models.ActivationMessage,
            table=tables.ActivationMessageTable,
            filterset=filters.ActivationMessageFilter,
            account_links=_ACCOUNT,
            ingest_names={"account": "account_name"},
        ),
    )
}


def log_for_model(model: type[db_models.Model]) -> LogSpec:
    return next(spec for spec in LOGS.values() if spec.model is model)
