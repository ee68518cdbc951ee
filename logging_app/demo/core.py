"""What every log's demo records are drawn from: the period, the accounts and one rng.

Each log's records are drawn by a function of `Demo` (calls.py, messages.py, events.py);
they share its rng, so `demo_records()` calls them in a fixed order. The records of calls
and SIP sessions are built here, for the random ones and the stories' (stories.py) alike.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .. import models

GROUPS = ("Sales", "Support", "Engineering", "Management", "Operations")
FIRST_NAMES = (
    "alice", "bruno", "carla", "dario", "elena", "fabio", "giulia", "hugo", "irene", "jonas",
    "katia", "luca", "marta", "nico", "olga", "paolo", "rita", "sergio", "tania", "ugo",
)  # fmt: skip
LAST_NAMES = (
    "rossi", "bianchi", "ferrari", "esposito", "romano", "colombo", "ricci", "marino",
    "greco", "bruno", "gallo", "conti", "costa", "fontana", "moretti", "lombardi",
)  # fmt: skip
# The accounts the demo's stories are about (stories.py), always its first accounts: their
# first names are no other account's, so that searching "olga" finds Olga Moretti.
CAST = (("olga", "moretti"), ("hugo", "ricci"), ("carla", "fontana"), ("dario", "greco"))
# Console users: who signs in to the web console and sends install and activation messages.
CONSOLE_USERS = ("admin", "s.verdi", "support.desk")
LOCAL_TIME = ZoneInfo("Europe/Rome")

DAY = timedelta(days=1)
# How long a secure message may wait in the queue, and an activation link stays valid.
EXPIRY = timedelta(hours=72)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    description: str
    virtual_number: str
    group: str
    address: str  # where its device connects from


def iso(moment: datetime, zone: ZoneInfo | None = None) -> str:
    return (moment.astimezone(zone) if zone else moment).isoformat(timespec="seconds")


class Demo:
    def __init__(self, *, rng: random.Random, now: datetime, days: int, accounts: int) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        self.start = now - days * DAY
        self.accounts = self._accounts(accounts)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moment(self, *, before: timedelta = timedelta(minutes=5)) -> datetime:
        """A random moment of the period that is at least `before` in the past."""
        span = (self.now - before - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.uniform(0, max(span, 0)))

    def plan(self, values: Sequence, count: int, weights: Sequence[int] | None = None) -> list:
        """`count` values (at least one of each): all of them once, then drawn at random."""
        rest = self.rng.choices(values, weights=weights, k=max(count - len(values), 0))
        return [*values, *rest]

    def pair(self) -> tuple[DemoAccount, DemoAccount]:
        first, second = self.rng.sample(self.accounts, 2)
        return first, second

    def others(self, *accounts: DemoAccount) -> list[DemoAccount]:
        """The accounts but these: those a story needs to keep to itself."""
        return [account for account in self.accounts if account not in accounts]

    def _accounts(self, count: int) -> list[DemoAccount]:
        cast = {first for first, _ in CAST}
        names = [(first, last) for first in FIRST_NAMES if first not in cast for last in LAST_NAMES]
        chosen = self.rng.sample(names, len(names))
        # The cast first; beyond the combinations of names, the same names again with a number.
        people = [(first, last, "") for first, last in CAST] + [
            (*chosen[index % len(names)], index // len(names) or "")
            for index in range(count - len(CAST))
        ]
        return [
            DemoAccount(
                username=f"{first}.{last}{repeat}",
                description=f"{first.title()} {last.title()}",
                virtual_number=f"+39061234{index + 1:04d}",
                group=GROUPS[index % len(GROUPS)],
                address=f"203.0.113.{index % 250 + 1}",
            )
            for index, (first, last, repeat) in enumerate(people)
        ]


def call_leg(
    demo: Demo,
    *,
    when: datetime,
    caller: DemoAccount,
    callee: DemoAccount | None,
    call_id: str,
    call_type: str,
    disposition: str,
    hangup_cause: str,
    ringing: int,
    talking: int,
    callee_number: str = "",
    callee_name: str = "",
    route: str = "",
) -> dict:
    """A CDR row as the appliance reports it, in its local time; durations in seconds."""
    return {
        "event_id": demo.uuid(),
        "call_date": iso(when, LOCAL_TIME),
        "caller_number": caller.virtual_number,
        "caller": caller.description,
        "caller_group": caller.group,
        "callee_number": callee.virtual_number if callee else callee_number,
        "callee": callee.description if callee else callee_name,
        "callee_group": callee.group if callee else "",
        "total_duration": ringing + talking,
        "call_duration": talking,
        "disposition": disposition,
        "hangup_cause": hangup_cause,
        "call_id": call_id,
        "call_type": call_type,
        "call_route": route,
    }


CLOSED = "TLS connection closed by the client"


def sip_session(
    demo: Demo,
    account: DemoAccount,
    *,
    address: str,
    connected: datetime,
    ended: datetime,
    unregistered: bool = True,
    closed: str = CLOSED,
) -> list[dict]:
    """The SIP events of one connection of an account's client, as the appliance sends them.

    CONNECT and DISCONNECT carry the address only (reconciliation binds them to the
    account); REGISTER comes 2 s after CONNECT, UNREGISTER at `ended` (unless the
    connection was lost), DISCONNECT 1 s later. Events after `demo.now` have not happened.
    """
    uri = f"sip:{account.username}@voice.example"
    steps = [
        (connected, "", models.SipEvent.CONNECT, f"TLS connection from {address}"),
        (connected + timedelta(seconds=2), account.username, models.SipEvent.REGISTER,
         f"REGISTER {uri} 200 OK"),
        (ended, account.username, models.SipEvent.UNREGISTER,
         f"REGISTER {uri} expires=0 200 OK") if unregistered else None,
        (ended + timedelta(seconds=1), "", models.SipEvent.DISCONNECT, closed),
    ]  # fmt: skip
    return [
        {
            "event_id": demo.uuid(),
            "timestamp": iso(moment),
            "username": username,
            "event": event,
            "details": details,
            "remote_address": address,
        }
        for moment, username, event, details in filter(None, steps)
        if moment < demo.now
    ]


def account_records(demo: Demo) -> list[dict]:
    return [
        {
            "username": account.username,
            "description": account.description,
            "virtual_number": account.virtual_number,
            "group": account.group,
        }
        for account in demo.accounts
    ]
