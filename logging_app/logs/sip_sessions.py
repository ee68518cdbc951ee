"""SIP Sessions: CONNECT, REGISTER, UNREGISTER and DISCONNECT, with the remote address."""

from .. import models
from ..demo.calls import sip_records
from .spec import (
    BLUE,
    CHOICE,
    LIST_LINK,
    TIMESTAMP,
    AccountLink,
    Chart,
    Column,
    LogSpec,
)

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
)
