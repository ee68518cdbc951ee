"""Web Sessions: accesses to the web console, the console's own sign-ins among them."""

from .. import models
from ..demo.events import web_session_records
from .spec import (
    ACCOUNT,
    CHOICE,
    ORANGE,
    RED,
    TIMESTAMP,
    VIOLET,
    AccountLink,
    Chart,
    Column,
    LogSpec,
    Partitioning,
    SiemMapping,
    Signature,
)

SPEC = LogSpec(
    slug="web-sessions",
    title="Web Sessions",
    model=models.WebSessionEvent,
    time_field="date_created",
    columns=(
        Column("date_created", TIMESTAMP),
        Column("event_type", CHOICE),
        Column("principal", ACCOUNT, account="account"),
        Column("ip_address"),
    ),
    filters=("event_type", "ip_address"),
    search_fields=("principal", "ip_address"),
    account_links=(AccountLink("principal", "account"),),
    siem=SiemMapping(
        field="event_type",
        signatures={
            "SUCCESS_INTERACTIVE": Signature("WEB-100", "Web console sign-in (interactive)", 3),
            "SUCCESS": Signature("WEB-101", "Web console sign-in", 3),
            "LOGOUT": Signature("WEB-110", "Web console sign-out", 2),
            "SESSION_TIMEOUT": Signature("WEB-111", "Web console session timed out", 2),
            "FAIL_USER_NOT_FOUND": Signature(
                "WEB-200", "Web console sign-in failed: unknown user", 6
            ),
            "FAIL_BAD_CREDENTIALS": Signature(
                "WEB-201", "Web console sign-in failed: wrong password", 6
            ),
            "FAIL_CREDENTIALS_EXPIRED": Signature(
                "WEB-202", "Web console sign-in failed: credentials expired", 5
            ),
        },
        extensions=(("suser", "principal"), ("src", "ip_address"), ("cs1", "event_type")),
        cs1_label="eventType",
        account_field="principal",
        account_link="account",
    ),
    charts=(
        Chart(
            "sign-in-failures",
            "Sign-in failures",
            "event_type",
            (
                ("FAIL_BAD_CREDENTIALS", RED),
                ("FAIL_USER_NOT_FOUND", ORANGE),
                ("FAIL_CREDENTIALS_EXPIRED", VIOLET),
            ),
            unit="failure",
            position=2,
        ),
    ),
    demo=web_session_records,
    outcome=("event_type", "ip_address"),
    partitioning=Partitioning(days=30),
)
