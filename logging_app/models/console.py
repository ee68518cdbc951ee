"""What the console keeps of its own: the CDR privacy policy, the ingest tokens, its users'
profiles and the SIEM forwarding outbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import ManualChoices
from .events import SecurityEvent

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


class ListColumns(models.Model):
    """The columns a user hides on one log's list page (the column chooser).

    The hidden ones, not the shown: a column a log gains later shows until hidden. A saved
    view can keep the same list of names.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_columns"
    )
    log = models.CharField(max_length=64)  # the log's slug
    hidden = models.JSONField(default=list)  # column names, as in `?sort=`

    class Meta:
        verbose_name = "list columns"
        verbose_name_plural = "list columns"
        constraints = [
            models.UniqueConstraint(fields=["user", "log"], name="list_columns_one_per_log")
        ]

    def __str__(self) -> str:
        return f"{self.user}'s columns of {self.log}"


class SavedView(models.Model):
    """A list as a user saved it under a name: its query string and the columns it hides.

    The query keeps the filters, `range`, `sort` and `per_page`, never a position in the
    list (`before`, `after`, `page`) nor an export. Shared, every user who may view the log
    opens it; only its owner (or an administrator) renames or deletes it.
    """

    NAME_LENGTH = 80
    QUERY_LENGTH = 2000

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    log = models.CharField(max_length=64)  # the log's slug
    name = models.CharField(max_length=NAME_LENGTH)
    query = models.CharField(max_length=QUERY_LENGTH, blank=True)  # without the leading "?"
    hidden = models.JSONField(default=list)  # column names, as ListColumns.hidden
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "saved view"
        ordering = ["log", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "log", "name"], name="saved_view_name_per_log")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.log})"


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
