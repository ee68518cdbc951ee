"""Demo data: some weeks in the life of a small appliance, as the records it would push.

`demo_records()` only builds records (the same seed and `now` give the same records);
`manage.py seed_demo` pushes them through the ingest service like the appliance would.
Every enumerated value of every log occurs at least once, whatever the number of days:
the first records of each kind walk through all the values, the rest are drawn at random.
"""

import random
from datetime import datetime

from .core import Demo, account_records

ACCOUNTS = "accounts"  # the ingest name of the account records


def demo_records(
    *, days: int, accounts: int, seed: int | None, now: datetime
) -> dict[str, list[dict]]:
    """Records by ingest log name, accounts first, for `days` days up to `now` (aware)."""
    if accounts < 4:
        raise ValueError("The demo needs at least 4 accounts (a conference has 3 to 5).")
    if days < 1:
        raise ValueError("The demo needs at least 1 day.")
    from ..logs import LOGS  # the logs' modules name their generators here

    demo = Demo(rng=random.Random(seed), now=now, days=days, accounts=accounts)
    # In the logs' order, always the same: each draws from the same rng.
    records = {ACCOUNTS: account_records(demo)}
    for spec in LOGS.values():
        if spec.demo is not None:
            records[spec.slug] = spec.demo(demo)
    return records
