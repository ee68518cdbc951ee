"""The logs of messages: Secure Messages, Install messages and Activation messages."""

from django.db import models

from .accounts import account_link
from .base import CodeField, LogRecord, ManualChoices

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
    sender_account = account_link("secure_messages_sent")
    recipient_account = account_link("secure_messages_received")

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
    account = account_link("install_messages")

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
    account = account_link("activation_messages")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["timestamp", "id"], name="activation_time"),
            models.Index(fields=["account", "timestamp"], name="activation_account_time"),
            models.Index(fields=["account_name", "timestamp"], name="activation_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} to {self.account_name}"
