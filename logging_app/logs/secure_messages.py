"""Secure Messages: transport data only, one row per message updated by later reports."""

from collections.abc import Callable

from .. import models
from ..demo.messages import secure_message_records
from .spec import (
    ACCOUNT,
    AMBER,
    BLUE,
    BOOLEAN,
    CHOICE,
    COUNT,
    GREEN,
    GREY,
    ORANGE,
    RED,
    TIME,
    TIMESTAMP,
    AccountFact,
    AccountLink,
    Chart,
    Column,
    IngestPolicy,
    LogSpec,
    SiemMapping,
    Signature,
)

PAYLOAD_MAX_BYTES = 600


def _payload_check() -> Callable[[dict], dict | None]:
    return _checked_payload


def _checked_payload(values: dict) -> dict:
    """A payload of 0 bytes or over 600 makes the message INVALID_PAYLOAD (DESIGN)."""
    size = values.get("payload_size")
    if size is not None and (size == 0 or size > PAYLOAD_MAX_BYTES):
        return values | {"status": models.SecureMessageStatus.INVALID_PAYLOAD}
    return values


def _merge(row: dict, report: dict) -> bool:
    """Fold a later report into the row's values; True when something changed.

    ENQUEUED is the only status that is not final, so a late or replayed report never
    moves a message back; attempts only grow; the processing time and payload size, once
    known, stay.
    """
    changed = False
    status = report["status"]
    if row["status"] == models.SecureMessageStatus.ENQUEUED and status != row["status"]:
        row["status"], changed = status, True
    attempts = report.get("send_attempts") or 0
    if attempts > row["send_attempts"]:
        row["send_attempts"], changed = attempts, True
    processed = report.get("processed")
    if processed is not None and row["processed"] is None:
        row["processed"], changed = processed, True
    size = report.get("payload_size")
    if size is not None and row["payload_size"] is None:
        row["payload_size"], changed = size, True
    return changed


SPEC = LogSpec(
    slug="secure-messages",
    title="Secure Messages",
    model=models.SecureMessage,
    time_field="received",
    columns=(
        Column("received", TIMESTAMP),
        Column("uuid"),
        Column("sender", ACCOUNT, account="sender_account"),
        Column("recipient", ACCOUNT, account="recipient_account"),
        Column("tech_message", BOOLEAN),
        Column("api_version"),
        Column("status", CHOICE),
        Column("send_attempts"),
        Column("processed", TIME),
    ),
    filters=("status", "uuid", "tech_message"),
    search_fields=("sender", "recipient", "api_version"),
    account_links=(
        AccountLink("sender", "sender_account"),
        AccountLink("recipient", "recipient_account"),
    ),
    key_field="uuid",
    ingest_names={"from": "sender", "to": "recipient"},
    ingest_policy=IngestPolicy(
        prepare=_payload_check,
        merge=_merge,
        merged_fields=("status", "send_attempts", "processed", "payload_size"),
    ),
    siem=SiemMapping(
        field="status",
        signatures={
            "EXPIRED": Signature("MSG-300", "Secure message expired undelivered", 3),
            "INVALID_RECIPIENT": Signature(
                "MSG-301", "Secure message refused: invalid recipient", 4
            ),
            "INVALID_DEVICE": Signature("MSG-302", "Secure message refused: invalid device", 4),
            "INVALID_PAYLOAD": Signature("MSG-303", "Secure message refused: invalid payload", 6),
        },
        extensions=(
            ("suser", "sender"),
            ("duser", "recipient"),
            ("externalId", "uuid"),
            ("cs1", "status"),
        ),
        cs1_label="status",
        account_field="sender",
        account_link="sender_account",
        peer_field="recipient",
        peer_link="recipient_account",
    ),
    notice=(
        "Only transport data is listed: the payload of a secure message is never "
        "received or stored by this console."
    ),
    charts=(
        Chart(
            "secure-messages",
            "Secure messages by status",
            "status",
            (
                ("DELIVERED", GREEN),
                ("ENQUEUED", BLUE),
                ("EXPIRED", GREY),
                ("INVALID_RECIPIENT", ORANGE),
                ("INVALID_DEVICE", AMBER),
                ("INVALID_PAYLOAD", RED),
            ),
            unit="message",
            position=4,
        ),
    ),
    demo=secure_message_records,
    outcome=("status", "send_attempts"),
    account_facts=tuple(
        AccountFact(
            f"Secure messages {status}",
            COUNT,
            matching={"status": status},
            listed={"status": status},
        )
        # Waiting for delivery still, or given up on after the expiry time.
        for status in (models.SecureMessageStatus.ENQUEUED, models.SecureMessageStatus.EXPIRED)
    ),
)
