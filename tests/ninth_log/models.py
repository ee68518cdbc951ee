"""Voicemail events: what a voicemail box did, as a log of another app would keep them."""

import uuid

from django.db import models


class VoicemailAction(models.TextChoices):
    LEFT = "LEFT", "LEFT"
    LISTENED = "LISTENED", "LISTENED"
    DELETED = "DELETED", "DELETED"


class VoicemailEvent(models.Model):
    event_id = models.UUIDField("event id", unique=True, default=uuid.uuid4, editable=False)
    timestamp = models.DateTimeField()
    action = models.CharField(max_length=16, choices=VoicemailAction.choices)
    account_name = models.CharField("mailbox", max_length=150)
    caller_number = models.CharField("caller number", max_length=32, blank=True)
    duration = models.PositiveIntegerField(default=0)
    # When the message was first listened to (empty until then): a date-time no index leads.
    heard = models.DateTimeField("first heard", null=True, blank=True)
    account = models.ForeignKey(
        "logging_app.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        indexes = [
            models.Index(fields=["timestamp", "id"], name="voicemail_time"),
            models.Index(fields=["account", "timestamp"], name="voicemail_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="voicemail_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.account_name}"
