"""The demo's messages: Secure Messages, Install messages and Activation messages."""

from datetime import timedelta

from .. import models
from .core import CONSOLE_USERS, EXPIRY, Demo, DemoAccount, iso
from .stories import (
    cast_of,
    story_activation_messages,
    story_install_messages,
    story_secure_messages,
)

PLATFORMS = ("Android", "iOS")


def secure_message_records(demo: Demo) -> list[dict]:
    """One report when a message is queued, and a later one when it is settled."""
    S = models.SecureMessageStatus
    statuses = (
        S.ENQUEUED,
        S.DELIVERED,
        S.EXPIRED,
        S.INVALID_RECIPIENT,
        S.INVALID_DEVICE,
        S.INVALID_PAYLOAD,
    )
    count = len(demo.accounts) * demo.days
    first_reports, later_reports = [], []
    for status in demo.plan(statuses, count, weights=(3, 85, 4, 3, 3, 2)):
        sender, recipient = demo.pair()
        if status == S.ENQUEUED:  # still within the 72 hours it may wait
            received = demo.now - timedelta(hours=demo.rng.uniform(0.1, 48))
        elif status == S.EXPIRED:
            received = demo.moment(before=EXPIRY + timedelta(hours=1))
        else:
            received = demo.moment()
        # An invalid payload is the console's finding from the size, not a reported status.
        size = demo.rng.choice((0, 650)) if status == S.INVALID_PAYLOAD else None
        queued = {
            "uuid": demo.uuid(),
            "from": sender.username,
            "to": recipient.username,
            "tech_message": demo.rng.random() < 0.1,
            "api_version": demo.rng.choice(("1", "2")),
            "status": S.ENQUEUED,
            "send_attempts": 0,
            "received": iso(received),
            "payload_size": demo.rng.randint(40, 600) if size is None else size,
        }
        first_reports.append(queued)
        if status in (S.ENQUEUED, S.INVALID_PAYLOAD):
            continue
        attempts = 0 if status == S.INVALID_RECIPIENT else demo.rng.randint(1, 4)
        settled = received + (EXPIRY if status == S.EXPIRED else timedelta(seconds=3))
        later_reports.append(
            queued
            | {
                "status": status,
                "send_attempts": attempts,
                "processed": iso(settled) if status == S.DELIVERED else None,
            }
        )
    return first_reports + later_reports + story_secure_messages(demo, cast_of(demo))


def install_message_records(demo: Demo) -> list[dict]:
    T = models.MessageType
    cast = cast_of(demo)
    # Olga's and Hugo's apps are the ones their story says.
    accounts = demo.others(cast.olga, cast.hugo)
    records = []
    plan = zip(
        demo.plan(models.Variant.values, len(demo.accounts) * 2, weights=(7, 3)),
        demo.plan(T.values, len(demo.accounts) * 2),
        demo.plan((True, False), len(demo.accounts) * 2, weights=(9, 1)),
        strict=True,
    )
    for variant, message_type, sent in plan:
        account = demo.rng.choice(accounts)
        records.append(
            {
                "event_id": demo.uuid(),
                "timestamp": iso(demo.moment()),
                "account": account.username,
                "platform": demo.rng.choice(PLATFORMS),
                "variant": variant,
                "sent": sent,
                "sent_by": demo.rng.choice(CONSOLE_USERS),
                "recipient": _recipient(demo, account, message_type),
                "message_type": message_type,
            }
        )
    return records + story_install_messages(demo, cast)


def _recipient(demo: Demo, account: DemoAccount, message_type: str) -> str:
    if message_type == models.MessageType.EMAIL:
        return f"{account.username}@example.com"
    return f"+39333{demo.rng.randint(0, 9999999):07d}"


def activation_message_records(demo: Demo) -> list[dict]:
    """Sent unconsumed; a later report marks most of the sent ones consumed."""
    T = models.MessageType
    cast = cast_of(demo)
    # Hugo's only activation message is his story's, never consumed.
    accounts = demo.others(cast.hugo)
    sent_reports, consumed_reports = [], []
    count = len(demo.accounts) * 2
    plan = zip(
        demo.plan(T.values, count, weights=(1, 3)),
        demo.plan((True, False), count, weights=(9, 1)),
        strict=True,
    )
    for message_type, sent in plan:
        account = demo.rng.choice(accounts)
        when = demo.moment(before=timedelta(hours=1))
        token = f"{demo.rng.getrandbits(64):016x}"
        report = {
            "event_id": demo.uuid(),
            "timestamp": iso(when),
            "consumed": False,
            "account": account.username,
            "sent": sent,
            "sent_by": demo.rng.choice(CONSOLE_USERS),
            "recipient": _recipient(demo, account, message_type),
            "message_type": message_type,
            "message_link": f"https://provisioning.example/p/{token[:8]}",
            "token": token,
            "validity": iso(when + EXPIRY),
        }
        sent_reports.append(report)
        # The first one is always consumed, so that both states occur.
        if sent and (not consumed_reports or demo.rng.random() < 0.7):
            consumed_reports.append(report | {"consumed": True})
    return sent_reports + consumed_reports + story_activation_messages(demo, cast)
