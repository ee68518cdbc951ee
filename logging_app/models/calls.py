"""The logs of calls: the Call Details Record and the SIP Sessions."""

from django.db import models

from .accounts import account_link
from .base import CodeField, EndpointField, LogRecord, ManualChoices

# --- Call Details Record ------------------------------------------------------------------


class Disposition(ManualChoices):
    ANSWERED = "ANSWERED"
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"
    FAILED = "FAILED"
    CANCEL = "CANCEL"


class HangupCause(ManualChoices):
    NOT_DEFINED = "NOT_DEFINED"
    NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
    NORMAL_CLEARING = "NORMAL_CLEARING"
    USER_BUSY = "USER_BUSY"
    NO_ANSWER = "NO_ANSWER"
    CALL_REJECTED = "CALL_REJECTED"
    BEARERCAPABILITY_NOTAVAIL = "BEARERCAPABILITY_NOTAVAIL"
    NO_USER_RESPONSE = "NO_USER_RESPONSE"
    NORMAL_CIRCUIT_CONGESTION = "NORMAL_CIRCUIT_CONGESTION"
    SUBSCRIBER_ABSENT = "SUBSCRIBER_ABSENT"


class CallType(ManualChoices):
    CALL = "CALL"
    THREE_WAY = "3-WAY"
    CONFERENCE = "CONFERENCE"
    TRANSFER = "TRANSFER"


# Calls between two users: the CDR privacy policy applies to these only.
DIRECT_CALL_TYPES = frozenset({CallType.CALL, CallType.TRANSFER})


class CallDetailRecord(LogRecord):
    call_date = models.DateTimeField("call date")
    caller_number = models.CharField("caller number", max_length=32)
    caller = models.CharField(max_length=255, blank=True)
    caller_group = models.CharField("caller group", max_length=255, blank=True)
    callee_number = models.CharField("callee number", max_length=32)
    callee = models.CharField(max_length=255, blank=True)
    callee_group = models.CharField("callee group", max_length=255, blank=True)
    total_duration = models.PositiveIntegerField("total duration", help_text="Seconds.")
    call_duration = models.PositiveIntegerField("call duration", help_text="Seconds.")
    disposition = CodeField(max_length=16, choices=Disposition.choices)
    hangup_cause = CodeField("hangup cause", max_length=32, choices=HangupCause.choices)
    call_id = CodeField("call id", max_length=64)
    call_type = CodeField("call type", max_length=16, choices=CallType.choices)
    call_route = models.CharField("call route", max_length=255, blank=True)
    caller_account = account_link("calls_made")
    callee_account = account_link("calls_received")

    class Meta:
        ordering = ["-call_date", "-id"]
        verbose_name = "call detail record"
        indexes = [
            models.Index(fields=["call_date", "id"], name="cdr_time"),
            models.Index(fields=["caller_account", "call_date"], name="cdr_caller_time"),
            models.Index(fields=["callee_account", "call_date"], name="cdr_callee_time"),
            models.Index(fields=["disposition", "call_date"], name="cdr_disposition_time"),
            models.Index(fields=["hangup_cause", "call_date"], name="cdr_hangup_time"),
            models.Index(fields=["call_type", "call_date"], name="cdr_type_time"),
            models.Index(fields=["call_id"], name="cdr_call_id"),
            # A number searched for (`q`): its rows linked to the account holding it come
            # through the link's index; these hold the rows no account was linked to (an
            # outside party), and only those, so that a linked row costs ingest nothing
            # here (docs/benchmarks.md).
            models.Index(
                fields=["caller_number", "call_date"],
                name="cdr_unlinked_caller_time",
                condition=models.Q(caller_account__isnull=True),
            ),
            models.Index(
                fields=["callee_number", "call_date"],
                name="cdr_unlinked_callee_time",
                condition=models.Q(callee_account__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller_number} → {self.callee_number} ({self.call_id})"


# --- SIP Sessions -------------------------------------------------------------------------


class SipEvent(ManualChoices):
    CONNECT = "CONNECT"
    REGISTER = "REGISTER"
    UNREGISTER = "UNREGISTER"
    DISCONNECT = "DISCONNECT"


class SipSessionEvent(LogRecord):
    timestamp = models.DateTimeField()
    username = models.CharField(max_length=150, blank=True)
    event = CodeField(max_length=16, choices=SipEvent.choices)
    details = models.TextField(blank=True)
    remote_address = EndpointField("remote address", max_length=64)
    account = account_link("sip_events")
    # True when the username was bound by reconciliation, not reported by the appliance.
    reconciled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = "SIP session event"
        indexes = [
            models.Index(fields=["timestamp", "id"], name="sip_time"),
            models.Index(fields=["account", "timestamp"], name="sip_account_time"),
            models.Index(fields=["username", "timestamp"], name="sip_name_time"),
            models.Index(fields=["event", "timestamp"], name="sip_event_time"),
            models.Index(fields=["remote_address", "timestamp"], name="sip_address_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.username or self.remote_address}"


# --- Call figures -------------------------------------------------------------------------


class AccountCallDay(models.Model):
    """The calls an account made and received in one UTC day, by outcome: the figures of
    its diagnosis (and of the statistics), kept as CDRs are stored, linked and purged.

    A row counts the CDRs linked to the account whose call date falls on `day` (UTC) with
    one Disposition and Hangup Cause: as caller (`caller_account`, "made") and as callee
    (`callee_account`, "received"), with the sums of their call durations. A window that
    does not start and end at UTC midnight adds the rows of its partial days, counted from
    the CDR table through the account's (link, time) indexes (logging_app/aggregates.py).
    """

    # The row's key is its primary key: no id column, sequence or index of its own to keep
    # up on every CDR stored (ingest's cost of the figures, docs/benchmarks.md).
    pk = models.CompositePrimaryKey("account", "day", "disposition", "hangup_cause")
    account = models.ForeignKey(
        "Account", on_delete=models.CASCADE, related_name="call_days", db_constraint=False
    )
    day = models.DateField(help_text="UTC.")
    disposition = CodeField(max_length=16, choices=Disposition.choices)
    hangup_cause = CodeField("hangup cause", max_length=32, choices=HangupCause.choices)
    made = models.IntegerField("calls made")
    received = models.IntegerField("calls received")
    made_duration = models.BigIntegerField(help_text="Seconds of call duration.")
    received_duration = models.BigIntegerField(help_text="Seconds of call duration.")

    class Meta:
        indexes = [
            # A week's days found at once when its CDR partition is dropped, however many
            # years of days the table keeps (a scan of one month's took up to 0.25 s).
            models.Index(fields=["day"], name="account_call_day_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.made}+{self.received} {self.disposition}"


class AccountCallTotal(models.Model):
    """The calls an account made and received in one UTC day, all outcomes together: what
    `/statistics/?by=account` sums, one row per account and day (`AccountCallDay` keeps
    one per outcome as well, a few times as many rows to sum over a month).

    `calls` counts made plus received (a call to oneself twice), `answered` and
    `answered_duration` those of them ANSWERED. Kept with the account's call days, in the
    same statements' transaction (logging_app/aggregates.py).
    """

    pk = models.CompositePrimaryKey("account", "day")
    account = models.ForeignKey(
        "Account", on_delete=models.CASCADE, related_name="call_totals", db_constraint=False
    )
    day = models.DateField(help_text="UTC.")
    calls = models.BigIntegerField("calls made and received")
    answered = models.BigIntegerField("answered calls")
    answered_duration = models.BigIntegerField(help_text="Seconds of call duration.")

    class Meta:
        indexes = [
            # A range of days, every account: read from the index alone (PostgreSQL), the
            # table's other days never read, however many years it keeps.
            models.Index(
                fields=["day"],
                include=["account", "calls", "answered", "answered_duration"],
                name="account_total_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.calls} calls, {self.answered} answered"


class AccountCallWeek(models.Model):
    """The calls an account made and received in one UTC week (from Monday), all outcomes
    together: the account's `AccountCallTotal` days of that week summed, so that a month by
    account sums four or five rows an account instead of thirty
    (logging_app/call_statistics.py). Kept with them, in the same transaction.
    """

    pk = models.CompositePrimaryKey("account", "week")
    account = models.ForeignKey(
        "Account", on_delete=models.CASCADE, related_name="call_weeks", db_constraint=False
    )
    week = models.DateField(help_text="The week's Monday, UTC.")
    calls = models.BigIntegerField("calls made and received")
    answered = models.BigIntegerField("answered calls")
    answered_duration = models.BigIntegerField(help_text="Seconds of call duration.")

    class Meta:
        indexes = [
            models.Index(
                fields=["week"],
                include=["account", "calls", "answered", "answered_duration"],
                name="account_week_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} week of {self.week}: {self.calls} calls"
