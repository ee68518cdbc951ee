"""Figures kept per UTC hour as rows arrive: what the overview and the statistics read.

Hours in UTC, so that a day or an hour in any viewer's zone whose offset is whole hours
is a sum of stored hours (docs/statistics.md says what zones with half-hour offsets get).
The calls per account and day are `AccountCallDay` (models/calls.py).
"""

from django.db import models

from .base import CodeField


class LogHour(models.Model):
    """How many rows of a log fall in one UTC hour: all of them (`field` and `value`
    empty), and those holding each value of the enumerated fields its charts count."""

    pk = models.CompositePrimaryKey("log", "hour", "field", "value")
    log = CodeField(max_length=64)
    hour = models.DateTimeField(help_text="The hour's start, UTC.")
    field = CodeField(max_length=64, blank=True)
    value = CodeField(max_length=64, blank=True)
    rows = models.BigIntegerField()

    def __str__(self) -> str:
        counted = f" {self.field}={self.value}" if self.field else ""
        return f"{self.log} {self.hour:%Y-%m-%d %H}h{counted}: {self.rows}"


class CallDimension(models.TextChoices):
    """What the calls of an hour are grouped by (besides the account, kept per day)."""

    GROUP = "group"  # the caller's and the callee's group, each call once per group
    ROUTE = "route"  # the call route (trunk); empty for calls between users
    HANGUP_CAUSE = "hangup_cause"
    DISPOSITION = "disposition"


class CallHour(models.Model):
    """The calls whose call date falls in one UTC hour, with one value of a dimension:
    how many, how many were answered, and the answered calls' call duration.

    Summed over the dispositions of an hour, they are all the hour's calls, linked to an
    account or not. A call whose caller and callee groups differ counts in both groups.
    """

    pk = models.CompositePrimaryKey("hour", "dimension", "value")
    hour = models.DateTimeField(help_text="The hour's start, UTC.")
    dimension = CodeField(max_length=16, choices=CallDimension.choices)
    value = models.CharField(max_length=255, blank=True)
    calls = models.BigIntegerField()
    answered = models.BigIntegerField()
    answered_duration = models.BigIntegerField(help_text="Seconds of call duration.")

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.dimension}={self.value}: {self.calls}"
