"""The logs of what happens on the appliance: Security, System and Web Sessions."""

from django.core.validators import MaxValueValidator
from django.db import models

from .accounts import account_link
from .base import CodeField, LogRecord, ManualChoices

# --- Security -----------------------------------------------------------------------------


class SourceLog(models.TextChoices):
    """Where a Security event comes from when not from another log."""

    CONSOLE = "console", "Console"
    APPLIANCE = "appliance", "Appliance (direct)"


def source_log_choices() -> list[tuple[str, str]]:
    """A Security event's sources: every other registered log, the console, the appliance."""
    from ..logs import LOGS  # the logs' modules import this one

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
    account = account_link("security_events")
    # The other party of the record (a call's callee, a message's recipient), if any.
    peer_name = models.CharField("other account", max_length=150, blank=True)
    peer_account = account_link("security_peer_events")
    # The record of another log this event was rewritten from; empty for direct events.
    source_id = models.BigIntegerField("source record", null=True, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="security_time"),
            models.Index(fields=["account", "timestamp"], name="security_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="security_name_time"),
            models.Index(fields=["peer_account", "timestamp"], name="security_peer_time"),
            models.Index(fields=["peer_name", "timestamp"], name="security_peer_name_time"),
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
    account = account_link("web_session_events")

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
