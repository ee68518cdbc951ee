"""Call Details Record: one row per finished call leg, kept as the CDR policy says."""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from django.db.models import Model, QuerySet

from .. import aggregates, figures, models
from ..demo.calls import cdr_records
from .cdr_outcomes import call_outcome
from .spec import (
    ACCOUNT,
    AMBER,
    CHOICE,
    DURATION,
    GREEN,
    GREY,
    ORANGE,
    PAGE_LINK,
    RED,
    TIMESTAMP,
    AccountLink,
    Aggregate,
    Chart,
    Column,
    IngestPolicy,
    LogSpec,
    Panel,
    Partitioning,
    SiemMapping,
    Signature,
    record_values,
)

# A policy's period in days; a month is taken as 30 days and a year as 365.
CDR_PERIOD_DAYS = {
    models.CdrPeriod.DAY: 1,
    models.CdrPeriod.WEEK: 7,
    models.CdrPeriod.MONTH: 30,
    models.CdrPeriod.YEAR: 365,
}
# The other legs a call's detail page lists.
LEGS_SHOWN = 50


def policy_in_force() -> models.CdrPolicy:
    """The CDR policy in force: the stored one, else the default, without writing it.

    A page view is a read; `CdrPolicy.current()` would create the row on first use.
    """
    stored = models.CdrPolicy.objects.filter(pk=models.CdrPolicy.SINGLETON_ID).first()
    return stored or models.CdrPolicy()


def _policy_notice() -> str:
    return f"CDR policy: {policy_in_force().describe()}"


def _no_cdr() -> Callable[[dict], dict | None] | None:
    """Under No-CDR, direct calls are discarded: the policy is read once per batch."""
    if not models.CdrPolicy.current().no_cdr:
        return None
    return lambda values: None if values["call_type"] in models.DIRECT_CALL_TYPES else values


def _direct_calls_expire_before(now: datetime) -> datetime | None:
    """Direct calls (CALL, TRANSFER) older than this are past the policy's duration × period;
    under No-CDR, all of them. None: a policy reaching back beyond the calendar keeps every
    call."""
    policy = models.CdrPolicy.current()
    if policy.no_cdr:
        return now
    try:
        return now - timedelta(days=policy.duration * CDR_PERIOD_DAYS[policy.period])
    except OverflowError:
        return None


def _expired(now: datetime) -> QuerySet:
    """Direct calls past the policy; conferences and 3-way calls are kept whatever it says."""
    direct_calls = models.CallDetailRecord.objects.filter(call_type__in=models.DIRECT_CALL_TYPES)
    cutoff = _direct_calls_expire_before(now)
    if cutoff is None:
        return direct_calls.none()
    if models.CdrPolicy.current().no_cdr:
        return direct_calls
    return direct_calls.filter(call_date__lt=cutoff)


def call_legs(record: models.CallDetailRecord) -> QuerySet:
    """The other rows sharing a call id: the legs of a 3-way, conference or transfer."""
    return (
        models.CallDetailRecord.objects.filter(call_id=record.call_id)
        .exclude(pk=record.pk)
        .order_by("call_date", "id")
    )


def _other_legs(record: models.CallDetailRecord) -> list[tuple[str, Model]]:
    return [(SPEC.slug, leg) for leg in call_legs(record)[:LEGS_SHOWN]]


def _what_happened(record: Model | Mapping[str, object]) -> str:
    """The call's Disposition, Hangup Cause and Call Type put together, in plain words."""
    values = record_values(record)
    outcome = call_outcome(
        disposition=values["disposition"],
        hangup_cause=values["hangup_cause"],
        call_type=values["call_type"],
        call_route=values["call_route"],
    )
    return str(outcome)


SPEC = LogSpec(
    slug="cdr",
    title="Call Details Record",
    model=models.CallDetailRecord,
    time_field="call_date",
    columns=(
        Column("call_date", TIMESTAMP),
        # On screen, name and number share a cell (the number under the name).
        Column("caller_number", ACCOUNT, account="caller_account", under="caller"),
        Column("caller", ACCOUNT, account="caller_account"),
        Column("caller_group"),
        Column("callee_number", ACCOUNT, account="callee_account", under="callee"),
        Column("callee", ACCOUNT, account="callee_account"),
        Column("callee_group"),
        Column("total_duration", DURATION),
        Column("call_duration", DURATION),
        Column("disposition", CHOICE, explained=True),
        Column("hangup_cause", CHOICE),
        Column("call_id", PAGE_LINK, link_view="call_detail"),  # the call page
        Column("call_type", CHOICE),
        Column("call_route"),
    ),
    filters=("disposition", "hangup_cause", "call_type", "call_id", "call_route"),
    any_field_filters={"group": ("caller_group", "callee_group")},
    search_fields=(
        "caller_number",
        "caller",
        "caller_group",
        "callee_number",
        "callee",
        "callee_group",
        "call_id",
        "call_route",
    ),
    account_links=(
        AccountLink("caller_number", "caller_account", match="virtual_number"),
        AccountLink("callee_number", "callee_account", match="virtual_number"),
    ),
    ingest_policy=IngestPolicy(prepare=_no_cdr),
    siem=SiemMapping(
        field="hangup_cause",
        signatures={
            "BEARERCAPABILITY_NOTAVAIL": Signature(
                "CDR-400", "Call failed: incompatible security models", 7
            ),
        },
        extensions=(
            ("suser", "caller_number"),
            ("duser", "callee_number"),
            ("externalId", "call_id"),
            ("cs1", "hangup_cause"),
        ),
        cs1_label="hangupCause",
        account_field="caller_number",
        account_link="caller_account",
        peer_field="callee_number",
        peer_link="callee_account",
    ),
    panels=(
        Panel(
            "Other legs of call {record.call_id}",
            _other_legs,
            empty="No other record shares this call id.",
        ),
    ),
    notice="Only finished calls are listed: calls in progress are never shown.",
    live_notice=_policy_notice,
    expired=_expired,
    charts=(
        Chart(
            "calls",
            "Calls by disposition",
            "disposition",
            (
                ("ANSWERED", GREEN),
                ("NO_ANSWER", AMBER),
                ("BUSY", ORANGE),
                ("CANCEL", GREY),
                ("FAILED", RED),
            ),
            unit="call",
            position=1,
        ),
    ),
    demo=cdr_records,
    explain=_what_happened,
    search_kinds={"call id": ("call_id",), "number": ("caller_number", "callee_number")},
    aggregates=(
        Aggregate(
            "calls per account and day",
            fields=aggregates.CALL_FIELDS,
            count=aggregates.count_calls,
            rebuild=aggregates.rebuild_calls,
            account_windows=aggregates.call_windows,
            linked=True,
            forget=aggregates.forget_calls,
            uncount=aggregates.uncount_calls,
        ),
        figures.CALL_HOUR_AGGREGATE,
    ),
    outcome=("disposition", "call_duration", "call_id"),
    # A week of calls a partition; the direct calls apart, as the CDR policy purges them
    # sooner than conferences and 3-way calls (kept whatever the policy).
    partitioning=Partitioning(
        days=7,
        apart=("call_type", tuple(sorted(models.DIRECT_CALL_TYPES))),
        apart_expired_before=_direct_calls_expire_before,
    ),
)
