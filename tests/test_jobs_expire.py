"""Secure-message expiry: ENQUEUED for more than 72 hours becomes EXPIRED, with its SIEM event."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from logging_app import models
from logging_app.jobs import expire_secure_messages
from tests.factories import make_account, make_secure_message

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ENQUEUED, EXPIRED = models.SecureMessageStatus.ENQUEUED, models.SecureMessageStatus.EXPIRED


def _enqueued(**overrides) -> models.SecureMessage:
    fields = {"status": ENQUEUED, "received": RECEIVED, "processed": None, "send_attempts": 2}
    return make_secure_message(**(fields | overrides))


def _status(message: models.SecureMessage) -> str:
    message.refresh_from_db()
    return message.status


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (timedelta(hours=71, minutes=59, seconds=59), ENQUEUED),
        (timedelta(hours=72), ENQUEUED),  # "more than 72 hours"
        (timedelta(hours=72, microseconds=1), EXPIRED),
        (timedelta(days=30), EXPIRED),
    ],
)
def test_it_expires_a_message_enqueued_for_more_than_72_hours_and_not_before(age, status):
    message = _enqueued()

    result = expire_secure_messages(now=RECEIVED + age)

    assert _status(message) == status
    assert result.expired == (status == EXPIRED)


def test_it_records_the_expiry_as_a_security_event_queued_for_the_siem():
    alice = make_account(username="alice")
    message = _enqueued(sender_account=alice, recipient="bruno")

    expire_secure_messages(now=RECEIVED + timedelta(days=4))

    event = models.SecurityEvent.objects.get()
    assert (event.signature_id, event.name, event.severity) == (
        "MSG-300",
        "Secure message expired undelivered",
        3,
    )
    assert (event.source_log, event.source_id) == ("secure-messages", message.pk)
    assert (event.account_name, event.account_id) == ("alice", alice.pk)
    assert event.timestamp == RECEIVED
    assert f"externalId={message.uuid}" in event.details
    assert "cs1=EXPIRED" in event.details
    assert models.SiemOutbox.objects.get().security_event == event


def test_it_leaves_messages_in_other_statuses_alone():
    others = [
        make_secure_message(status=status, received=RECEIVED)
        for status in models.SecureMessageStatus
        if status != ENQUEUED
    ]

    assert expire_secure_messages(now=RECEIVED + timedelta(days=10)).expired == 0
    assert [_status(message) for message in others] == [message.status for message in others]
    assert not models.SecurityEvent.objects.exists()


def test_it_does_nothing_more_when_run_again():
    _enqueued()
    now = RECEIVED + timedelta(days=4)
    expire_secure_messages(now=now)

    assert expire_secure_messages(now=now).expired == 0
    assert models.SecurityEvent.objects.count() == 1


def test_it_works_in_batches():
    messages = [_enqueued(received=RECEIVED + timedelta(minutes=n)) for n in range(5)]

    result = expire_secure_messages(now=RECEIVED + timedelta(days=4), batch_size=2)

    assert result.expired == 5
    assert {_status(message) for message in messages} == {EXPIRED}
    assert models.SecurityEvent.objects.count() == models.SiemOutbox.objects.count() == 5


def test_the_command_prints_what_it_did(capsys):
    _enqueued(received=timezone.now() - timedelta(days=4))

    call_command("expire_secure_messages")

    assert capsys.readouterr().out == (
        "expire_secure_messages: 1 messages ENQUEUED for over 72 h expired\n"
    )
