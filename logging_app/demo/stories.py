"""The demo's support stories: calls that went wrong, and the records that tell why.

Around the latest noon (local time) at least an hour ago, Olga Moretti's calls go wrong,
each in its own way, and the other logs say why (minutes from that noon):

  -64  Carla calls Dario; they talk for 9 minutes.
  -60  Olga → Carla: BUSY, USER_BUSY. Carla is on that call.
  -40  Olga → Dario: NO_ANSWER. Dario is registered, lets it ring, then goes off line.
  -20  Olga → Hugo: FAILED, NOT_DEFINED. The CDR cannot say why; Hugo's SIP events can:
       he unregistered 4 minutes before (the manual's FAILED "eg: User was off-line").
    0  Olga → Hugo: FAILED, BEARERCAPABILITY_NOTAVAIL, which ingest makes a Security event
       (CDR-400). Olga's app was installed ZRTP, Hugo's SDES; the activation message sent
       to Hugo four days before was never consumed, and Olga's secure message to him that
       day stayed ENQUEUED until it expired after 72 hours.
  +15  Olga → Dario: ANSWERED, NOT_DEFINED. Dario's connection drops mid-call (a DISCONNECT
       during the call); then his registration flaps, REGISTER and UNREGISTER from a new
       mobile address every 3 minutes, until he is back on the office network at +37.

A client connects and registers when it is opened for a call and unregisters when it is
closed, so each call page shows both parties' SIP events around the call. The cast's
random activity keeps clear of these hours (`Cast.clear`), so that nothing muddles them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import models
from .core import (
    CONSOLE_USERS,
    DAY,
    EXPIRY,
    LOCAL_TIME,
    Demo,
    DemoAccount,
    call_leg,
    iso,
    sip_session,
)

D, H = models.Disposition, models.HangupCause
MINUTE = timedelta(minutes=1)
# The stories' records run from FIRST to LAST minutes around their noon…
FIRST, LAST = -66, 51
# …which is the latest noon at least this long ago, so that they are all in the past.
SETTLED = timedelta(hours=1)
# The cast's random activity keeps this far from the stories, moved this much earlier.
MARGIN = timedelta(minutes=30)
SHIFT = timedelta(hours=4)
# Where Dario's phone connects from on the move (TEST-NET-1), one address after another.
MOBILE_HOSTS = ("192.0.2.17", "192.0.2.54", "192.0.2.91", "192.0.2.128", "192.0.2.165",
                "192.0.2.202", "192.0.2.239")  # fmt: skip
FLAPS = len(MOBILE_HOSTS) - 1
LOST = "TLS connection lost: no answer to keep-alive"

# The stories' calls: (minutes from noon, caller, callee, disposition, hangup cause,
# seconds ringing, seconds talking).
CALLS = (
    (-64, "carla", "dario", D.ANSWERED, H.NORMAL_CLEARING, 6, 534),
    (-60, "olga", "carla", D.BUSY, H.USER_BUSY, 2, 0),
    (-40, "olga", "dario", D.NO_ANSWER, H.NO_ANSWER, 30, 0),
    (-20, "olga", "hugo", D.FAILED, H.NOT_DEFINED, 1, 0),
    (0, "olga", "hugo", D.FAILED, H.BEARERCAPABILITY_NOTAVAIL, 3, 0),
    (15, "olga", "dario", D.ANSWERED, H.NOT_DEFINED, 6, 154),
)


@dataclass(frozen=True)
class Cast:
    olga: DemoAccount
    hugo: DemoAccount
    carla: DemoAccount
    dario: DemoAccount
    noon: datetime  # the stories' noon, in UTC

    @property
    def members(self) -> tuple[DemoAccount, ...]:
        return (self.olga, self.hugo, self.carla, self.dario)

    def at(self, minutes: float) -> datetime:
        return self.noon + timedelta(minutes=minutes)

    def near(self, start: datetime, end: datetime | None = None) -> bool:
        """Whether [start, end] comes within MARGIN of the stories."""
        return start < self.at(LAST) + MARGIN and (end or start) > self.at(FIRST) - MARGIN

    def clear(self, when: datetime, accounts: Iterable[DemoAccount]) -> datetime:
        """A random call's time, moved out of the stories' hours if the cast is in it."""
        if self.near(when) and any(account in self.members for account in accounts):
            return when - SHIFT
        return when


def cast_of(demo: Demo) -> Cast:
    local = demo.now.astimezone(LOCAL_TIME)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon + timedelta(minutes=LAST) + SETTLED > local:
        noon -= DAY  # the same wall-clock time the day before
    olga, hugo, carla, dario = demo.accounts[:4]
    return Cast(olga, hugo, carla, dario, noon.astimezone(UTC))


def story_calls(demo: Demo, cast: Cast, *, sequence: int) -> list[dict]:
    """The stories' CDR rows; call ids go on from `sequence`, past the random calls'."""
    records = []
    for number, (minutes, caller, callee, disposition, cause, ringing, talking) in enumerate(
        CALLS, start=sequence
    ):
        when = cast.at(minutes)
        records.append(
            call_leg(
                demo,
                when=when,
                caller=getattr(cast, caller),
                callee=getattr(cast, callee),
                call_id=f"{int(when.timestamp())}.{number}",
                call_type=models.CallType.CALL,
                disposition=disposition,
                hangup_cause=cause,
                ringing=ringing,
                talking=talking,
            )
        )
    return records


def story_sip_events(demo: Demo, cast: Cast) -> list[dict]:
    """The cast's connections around the stories' calls, and Dario's flapping."""
    olga, hugo, carla, dario = cast.members

    def office(account: DemoAccount) -> str:
        return f"{account.address}:{demo.rng.randint(1024, 65535)}"

    def mobile(flap: int) -> str:
        return f"{MOBILE_HOSTS[flap]}:{demo.rng.randint(1024, 65535)}"

    def session(account: DemoAccount, address: str, start: float, end: float, **how) -> list:
        return sip_session(
            demo, account, address=address, connected=cast.at(start), ended=cast.at(end), **how
        )

    events = [
        *session(carla, office(carla), -66, -53),
        *session(dario, office(dario), -65.5, -37),
        *session(hugo, office(hugo), -29, -24),
        *session(hugo, office(hugo), -6, 3),
        # The connection is lost mid-call: no UNREGISTER.
        *session(dario, mobile(0), 10, 17 + 10 / 60, unregistered=False, closed=LOST),
    ]
    # Olga opens her app 2 minutes before each of her calls and closes it a minute after.
    for minutes, caller, _, _, _, ringing, talking in CALLS:
        if caller == "olga":
            end = minutes + 1 + (ringing + talking) / 60
            events += session(olga, office(olga), minutes - 2, end)
    for flap in range(1, FLAPS + 1):
        start = 15 + 3 * flap
        events += session(dario, mobile(flap), start, start + 2)
    events += session(dario, office(dario), 37, 50)
    return events


def story_secure_messages(demo: Demo, cast: Cast) -> list[dict]:
    """Olga's message to Hugo: still queued after 6 attempts; the expiry job expires it."""
    queued = {
        "uuid": demo.uuid(),
        "from": cast.olga.username,
        "to": cast.hugo.username,
        "tech_message": False,
        "api_version": "2",
        "status": models.SecureMessageStatus.ENQUEUED,
        "send_attempts": 0,
        "received": iso(cast.noon - 4 * DAY + 10 * MINUTE),
        "payload_size": 212,
    }
    return [queued, queued | {"send_attempts": 6}]


def story_install_messages(demo: Demo, cast: Cast) -> list[dict]:
    """Olga's app is the end-to-end model (ZRTP), Hugo's the end-to-site one (SDES)."""
    installs = (
        (cast.olga, models.Variant.ZRTP, "Android", 9),
        (cast.hugo, models.Variant.SDES, "iOS", 12),
    )
    return [
        {
            "event_id": demo.uuid(),
            "timestamp": iso(cast.noon - days_before * DAY),
            "account": account.username,
            "platform": platform,
            "variant": variant,
            "sent": True,
            "sent_by": CONSOLE_USERS[1],
            "recipient": f"{account.username}@example.com",
            "message_type": models.MessageType.EMAIL,
        }
        for account, variant, platform, days_before in installs
    ]


def story_activation_messages(demo: Demo, cast: Cast) -> list[dict]:
    """Sent to Hugo four days before the stories; its link was never opened."""
    sent = cast.noon - 4 * DAY - timedelta(hours=3)
    token = f"{demo.rng.getrandbits(64):016x}"
    return [
        {
            "event_id": demo.uuid(),
            "timestamp": iso(sent),
            "consumed": False,
            "account": cast.hugo.username,
            "sent": True,
            "sent_by": CONSOLE_USERS[2],
            "recipient": f"+39333{cast.hugo.virtual_number[-7:]}",
            "message_type": models.MessageType.SMS,
            "message_link": f"https://provisioning.example/p/{token[:8]}",
            "token": token,
            "validity": iso(sent + EXPIRY),
        }
    ]
