"""Demo data: some weeks in the life of a small appliance, as the records it would push.

`demo_records()` only builds records (the same seed and `now` give the same records);
`manage.py seed_demo` pushes them through the ingest service like the appliance would.
Every enumerated value of every log occurs at least once, whatever the number of days:
the first records of each kind walk through all the values, the rest are drawn at random.
"""

import random
from datetime import datetime

from .calls import cdr_records, sip_records
from .core import Demo, account_records
from .events import security_records, system_records, web_session_records
from .messages import activation_message_records, install_message_records, secure_message_records


def demo_records(
    *, days: int, accounts: int, seed: int | None, now: datetime
) -> dict[str, list[dict]]:
    """Records by ingest log name, accounts first, for `days` days up to `now` (aware)."""
    if accounts < 4:
        raise ValueError("The demo needs at least 4 accounts (a conference has 3 to 5).")
    if days < 1:
        raise ValueError("The demo needs at least 1 day.")
    demo = Demo(rng=random.Random(seed), now=now, days=days, accounts=accounts)
    # In this order: each draws from the same rng.
    return {
        "accounts": account_records(demo),
        "system": system_records(demo),
        "web-sessions": web_session_records(demo),
        "cdr": cdr_records(demo),
        "sip-sessions": sip_records(demo),
        "secure-messages": secure_message_records(demo),
        "install-messages": install_message_records(demo),
        "activation-messages": activation_message_records(demo),
        "security": security_records(demo),
    }
