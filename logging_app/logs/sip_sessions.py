"""SIP Sessions: CONNECT, REGISTER, UNREGISTER and DISCONNECT, with the remote address."""

from .. import models
from ..demo.calls import sip_records
from .spec import (
    BLUE,
    CHOICE,
    LAST,
    LIST_LINK,
    TIMESTAMP,
    AccountFact,
    AccountLink,
    Chart,
    Column,
    LogSpec,
    Partitioning,
)

# The events that say whether an account is registered, and from where.
_REGISTRATION = (models.SipEvent.REGISTER, models.SipEvent.UNREGISTER)

SPEC = LogSpec(
    slug="sip-sessions",
    title="SIP Sessions",
    model=models.SipSessionEvent,
    time_field="timestamp",
    columns=(
        Column("timestamp", TIMESTAMP),
        # The username links to this list filtered by that account (DESIGN); CONNECT and
        # DISCONNECT arrive unbound until reconciliation binds them, which a tag says.
        Column(
            "username",
            LIST_LINK,
            link_param="account",
            tag="reconciled",
            empty="— unbound —",
        ),
        Column("event", CHOICE),
        Column("details"),
        Column("remote_address"),
    ),
    filters=("event", "remote_address", "reconciled"),
    search_fields=("username", "details", "remote_address"),
    account_links=(AccountLink("username", "account"),),
    charts=(
        Chart(
            "sip-registrations",
            "SIP registrations",
            "event",
            (("REGISTER", BLUE),),
            unit="registration",
            position=3,
        ),
    ),
    demo=sip_records,
    outcome=("event", "remote_address"),
    account_facts=(
        AccountFact(
            "Registration",
            LAST,
            matching={"event__in": _REGISTRATION},
            listed={"event": _REGISTRATION},
            shows=("event", "remote_address"),
        ),
    ),
    partitioning=Partitioning(days=7),
)
