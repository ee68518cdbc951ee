"""The appliance's accounts and its eight logs, as the manual's LOGGING chapter describes them.

Fields are declared in the manual's order, enumerations spelled as the manual spells them.
Every log row keeps the account name it arrived with and, beside it, a nullable link to
the Account: deleting or renaming an account loses no log row.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone


class ManualChoices(models.TextChoices):
    """An enumeration shown exactly as the manual spells it: the label is the value."""

    @property
    def label(self) -> str:
        return self.value


class CodeField(models.CharField):
    """Text the database compares byte by byte: an enumeration's values or a machine's id.

    Such a column is matched whole (`disposition = 'BUSY'`), and its ASCII values sort the
    same byte by byte as by any language's rules. On PostgreSQL it takes the "C" collation
    rather than the database's linguistic one, which makes its index entries cheaper to
    insert: with four such indexes, the CDR table takes a COPY about 20% faster. SQLite
    compares bytes already (and has no collation called "C").
    """

    def db_parameters(self, connection) -> dict:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class AccountGroup(models.Model):
    name = models.CharField(max_length=150, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.description or self.name


class Account(models.Model):
    username = models.CharField(max_length=150, unique=True)
    description = models.CharField(max_length=255, blank=True)
    virtual_number = models.CharField("virtual phone number", max_length=32, blank=True)
    group = models.ForeignKey(
        AccountGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["virtual_number"])]

    def __str__(self) -> str:
        return self.username


def _account_link(related_name: str) -> models.ForeignKey:
    """The nullable link from a log row to the Account its name matched at ingest.

    Not a database constraint: ingest sets the link from the Account table in the same
    transaction, and a constraint would cost a trigger per linked row on every insert (two
    per CDR), the largest part of bulk ingest's time. Deleting an Account still clears its
    links (Django does SET_NULL itself); a link left dangling (by an ingest racing that
    deletion) reads as no account, as the pages join the Account table.
    """
    return models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        db_index=False,  # covered by the (account, time) index of each log
        db_constraint=False,
    )


class LogRecord(models.Model):
    """What every log row has: the appliance's id for the event, which makes ingest idempotent."""

    event_id = models.UUIDField("event id", unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


# --- Security -----------------------------------------------------------------------------


class SourceLog(models.TextChoices):
    """Where a Security event comes from when not from another log."""

    CONSOLE = "console", "Console"
    APPLIANCE = "appliance", "Appliance (direct)"


def source_log_choices() -> list[tuple[str, str]]:
    """A Security event's sources: every other registered log, the console, the appliance."""
    from .logs import LOGS  # the logs' modules import this one

    logs = [(spec.slug, spec.title) for spec in LOGS.values() if spec.model is not SecurityEvent]
    return [*logs, *SourceLog.choices]


class SecurityEvent(LogRecord):
    timestamp = models.DateTimeField()
    severity = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    signature_id = models.CharField("signature id", max_length=100)
    name = models.CharField(max_length=512)
    source_log = CodeField("source log", max_length=32, choices=source_log_choices)
    details = models.TextField(help_text="The event as a CEF line.")
    account_name = models.CharField("account", max_length=150, blank=True)
    account = _account_link("security_events")
    # The record of another log this event was rewritten from; empty for direct events.
    source_id = models.BigIntegerField("source record", null=True, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="security_time"),
            models.Index(fields=["account", "timestamp"], name="security_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="security_name_time"),
            models.Index(fields=["source_log", "timestamp"], name="security_source_time"),
            models.Index(fields=["severity", "timestamp"], name="security_severity_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__lte=10), name="security_severity_0_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.signature_id} {self.name}"


# --- System -------------------------------------------------------------------------------


class SystemEventType(ManualChoices):
    UPDATE = "UPDATE"
    REBOOT = "REBOOT"
    BACKUP = "BACKUP"
    RESTORE = "RESTORE"
    HEARTBEAT = "HEARTBEAT"
    OTHER = "OTHER"


class Level(ManualChoices):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class SystemEvent(LogRecord):
    timestamp = models.DateTimeField()
    event_type = CodeField("event type", max_length=16, choices=SystemEventType.choices)
    level = CodeField(max_length=16, choices=Level.choices, default=Level.INFO)
    message = models.CharField(max_length=512)
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="system_time"),
            models.Index(fields=["event_type", "timestamp"], name="system_type_time"),
            models.Index(fields=["level", "timestamp"], name="system_level_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type}: {self.message}"


# --- Web Sessions -------------------------------------------------------------------------


class WebSessionEventType(ManualChoices):
    SESSION_TIMEOUT = "SESSION_TIMEOUT"
    LOGOUT = "LOGOUT"
    SUCCESS_INTERACTIVE = "SUCCESS_INTERACTIVE"
    SUCCESS = "SUCCESS"
    FAIL_USER_NOT_FOUND = "FAIL_USER_NOT_FOUND"
    FAIL_CREDENTIALS_EXPIRED = "FAIL_CREDENTIALS_EXPIRED"
    FAIL_BAD_CREDENTIALS = "FAIL_BAD_CREDENTIALS"


# The principal the appliance records for events the system itself triggers.
ANONYMOUS_PRINCIPAL = "anonymousUser"


class WebSessionEvent(LogRecord):
    date_created = models.DateTimeField("date created")
    event_type = CodeField("event type", max_length=32, choices=WebSessionEventType.choices)
    principal = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    account = _account_link("web_session_events")

    class Meta:
        ordering = ["-date_created", "-id"]
        indexes = [
            models.Index(fields=["date_created", "id"], name="websession_time"),
            models.Index(fields=["account", "date_created"], name="websession_account_time"),
            models.Index(fields=["principal", "date_created"], name="websession_name_time"),
            models.Index(fields=["event_type", "date_created"], name="websession_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.principal}"


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
    caller_account = _account_link("calls_made")
    callee_account = _account_link("calls_received")

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
    remote_address = CodeField("remote address", max_length=64)
    account = _account_link("sip_events")
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


# --- Secure Messages ----------------------------------------------------------------------


class SecureMessageStatus(ManualChoices):
    ENQUEUED = "ENQUEUED"
    DELIVERED = "DELIVERED"
    EXPIRED = "EXPIRED"
    INVALID_RECIPIENT = "INVALID_RECIPIENT"
    INVALID_DEVICE = "INVALID_DEVICE"
    INVALID_PAYLOAD = "INVALID_PAYLOAD"


class SecureMessage(models.Model):
    """Transport data of one secure message; its payload is never received or stored."""

    uuid = models.UUIDField("UUID", unique=True)
    sender = models.CharField("From", max_length=150)
    recipient = models.CharField("To", max_length=150)
    tech_message = models.BooleanField("tech message", default=False)
    api_version = models.CharField("API version", max_length=16, blank=True)
    status = CodeField(max_length=24, choices=SecureMessageStatus.choices)
    send_attempts = models.PositiveIntegerField("send attempts", default=0)
    received = models.DateTimeField()
    processed = models.DateTimeField(null=True, blank=True)
    payload_size = models.PositiveIntegerField("payload size", null=True, blank=True)
    sender_account = _account_link("secure_messages_sent")
    recipient_account = _account_link("secure_messages_received")

    class Meta:
        ordering = ["-received", "-id"]
        indexes = [
            models.Index(fields=["received", "id"], name="securemsg_time"),
            models.Index(fields=["sender_account", "received"], name="securemsg_sender_time"),
            models.Index(fields=["recipient_account", "received"], name="securemsg_rcpt_time"),
            models.Index(fields=["sender", "received"], name="securemsg_from_time"),
            models.Index(fields=["recipient", "received"], name="securemsg_to_time"),
            models.Index(fields=["status", "received"], name="securemsg_status_time"),
        ]

    def __str__(self) -> str:
        return str(self.uuid)


# --- Install and Activation messages ------------------------------------------------------


class Variant(ManualChoices):
    ZRTP = "ZRTP"
    SDES = "SDES"


class MessageType(ManualChoices):
    EMAIL = "EMAIL"
    SMS = "SMS"


class InstallMessage(LogRecord):
    timestamp = models.DateTimeField()
    account_name = models.CharField("account", max_length=150)
    platform = models.CharField(max_length=64)
    variant = models.CharField(max_length=8, choices=Variant.choices)
    sent = models.BooleanField()
    sent_by = models.CharField("sent by", max_length=150)
    recipient = models.CharField(max_length=255)
    message_type = models.CharField("message type", max_length=8, choices=MessageType.choices)
    account = _account_link("install_messages")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="install_time"),
            models.Index(fields=["account", "timestamp"], name="install_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="install_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} to {self.account_name}"


class ActivationMessage(LogRecord):
    timestamp = models.DateTimeField()
    consumed = models.BooleanField(default=False)
    account_name = models.CharField("account", max_length=150)
    sent = models.BooleanField()
    sent_by = models.CharField("sent by", max_length=150)
    recipient = models.CharField(max_length=255)
    message_type = models.CharField("message type", max_length=8, choices=MessageType.choices)
    message_link = models.CharField("message link", max_length=1024, blank=True)
    token = models.CharField(max_length=255, blank=True)
    validity = models.DateTimeField(null=True, blank=True, help_text="When the link expires.")
    account = _account_link("activation_messages")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="activation_time"),
            models.Index(fields=["account", "timestamp"], name="activation_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="activation_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} to {self.account_name}"


# --- The CDR privacy policy ---------------------------------------------------------------


class CdrPeriod(ManualChoices):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class CdrPolicy(models.Model):
    """The one CDR privacy policy: direct-call CDRs are kept for duration × period.

    Duration 0 is the manual's No-CDR option: direct calls are not recorded at all.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    period = models.CharField(max_length=8, choices=CdrPeriod.choices, default=CdrPeriod.YEAR)
    duration = models.PositiveIntegerField(
        default=1, help_text="How many periods direct-call records are kept. 0: No-CDR."
    )

    class Meta:
        verbose_name = "CDR policy"
        verbose_name_plural = "CDR policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="cdr_policy_singleton")
        ]

    def __str__(self) -> str:
        return self.describe()

    @classmethod
    def current(cls) -> "CdrPolicy":
        policy, _ = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return policy

    @property
    def no_cdr(self) -> bool:
        return self.duration == 0

    # The sentences that say what the policy does; the admin form fills them in as the
    # values are edited, before saving.
    NO_CDR_TEXT = (
        "No-CDR: direct calls (CALL, TRANSFER) are not recorded; "
        "conferences and 3-way calls still are."
    )
    KEPT_TEXT = (
        "Direct calls (CALL, TRANSFER) are kept for {amount}, then purged; "
        "conferences and 3-way calls are kept as ever."
    )

    def describe(self) -> str:
        """The policy's effect in plain words, for the admin form and the CDR page."""
        if self.no_cdr:
            return self.NO_CDR_TEXT
        unit = self.get_period_display().lower()
        amount = f"{self.duration} {unit}" + ("s" if self.duration != 1 else "")
        return self.KEPT_TEXT.format(amount=amount)


# --- Ingest tokens ------------------------------------------------------------------------


class IngestToken(models.Model):
    """A bearer token the appliance pushes events with. Only its SHA-256 is stored."""

    PREFIX = "lc_"

    name = models.CharField(max_length=100, unique=True, help_text="Who or what uses it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, to recognise it in lists without storing it.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- Console users ------------------------------------------------------------------------


class ConsoleUserProfile(models.Model):
    """What the console keeps about one of its own users beside Django's User."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_profile"
    )
    # Empty: the console's TIME_ZONE.
    time_zone = models.CharField("time zone", max_length=64, blank=True)
    password_changed_at = models.DateTimeField("password changed", null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


# --- SIEM forwarding outbox ---------------------------------------------------------------


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"


class SiemOutbox(models.Model):
    """One Security event's way to the SIEM collector: waiting, retried, or sent.

    A row is written in the same transaction as its event, so no event is stored without
    being queued; `forward_siem` claims due rows, sends them and records the outcome.
    """

    security_event = models.OneToOneField(
        SecurityEvent,
        # Purging an event by retention drops its outbox row with it (Django deletes it;
        # no database constraint, whose trigger per row would slow bulk ingest, as for the
        # account links).
        on_delete=models.CASCADE,
        related_name="siem_outbox",
        db_constraint=False,
    )
    state = models.CharField(max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField("next attempt", default=timezone.now)
    sent_at = models.DateTimeField("sent", null=True, blank=True)
    last_error = models.CharField("last error", max_length=500, blank=True)

    class Meta:
        verbose_name = "SIEM outbox entry"
        verbose_name_plural = "SIEM outbox"
        indexes = [
            # Only waiting rows are looked up by time; sent ones stay out of this index.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="siem_outbox_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.security_event_id} {self.state}"
