"""What every log's demo records are drawn from: the period, the accounts and one rng.

Each log's records are drawn by a function of `Demo` (calls.py, messages.py, events.py);
they share its rng, so `demo_records()` calls them in a fixed order.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

GROUPS = ("Sales", "Support", "Engineering", "Management", "Operations")
FIRST_NAMES = (
    "alice", "bruno", "carla", "dario", "elena", "fabio", "giulia", "hugo", "irene", "jonas",
    "katia", "luca", "marta", "nico", "olga", "paolo", "rita", "sergio", "tania", "ugo",
)  # fmt: skip
LAST_NAMES = (
    "rossi", "bianchi", "ferrari", "esposito", "romano", "colombo", "ricci", "marino",
    "greco", "bruno", "gallo", "conti", "costa", "fontana", "moretti", "lombardi",
)  # fmt: skip
# Console users: who signs in to the web console and sends install and activation messages.
CONSOLE_USERS = ("admin", "s.verdi", "support.desk")
LOCAL_TIME = ZoneInfo("Europe/Rome")

DAY = timedelta(days=1)


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

    def _accounts(self, count: int) -> list[DemoAccount]:
        names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        chosen = self.rng.sample(names, len(names))
        # Beyond the combinations of names, the same names again with a number.
        chosen = [chosen[index % len(names)] for index in range(count)]
        return [
            DemoAccount(
                username=f"{first}.{last}{index // len(names) or ''}",
                description=f"{first.title()} {last.title()}",
                virtual_number=f"+39061234{index + 1:04d}",
                group=GROUPS[index % len(GROUPS)],
                address=f"203.0.113.{index % 250 + 1}",
            )
            for index, (first, last) in enumerate(chosen)
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
