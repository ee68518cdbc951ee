"""An account's diagnosis: the card its page opens with, before the timeline.

Each log says what it can tell of an account (`LogSpec.account_facts`: the registration
the SIP log holds, the messages stuck in the Secure Messages log, …) and the CDR log's
aggregates give its calls today, over 7 and over 30 days (whole UTC days). Every read
goes through the account's (link, time) indexes or its call figures: none grows with the
log.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model, QuerySet

from . import models
from .aggregates import CallWindow
from .logs import LogSpec
from .logs.spec import LAST, AccountFact

__all__ = ["FACT_CAP", "LAST", "CallFigures", "FactLine", "account_facts", "call_figures"]
from .selectors import NewestRows, account_rows, first_rows

# A count of matching rows stops here: "100 or more" says enough on a card.
FACT_CAP = 100


@dataclass(frozen=True)
class FactLine:
    log: LogSpec
    fact: AccountFact
    record: Model | None = None  # LAST: the newest matching row, if any
    count: int = 0  # COUNT: the matching rows, up to FACT_CAP + 1

    @property
    def capped(self) -> bool:
        return self.count > FACT_CAP


@dataclass(frozen=True)
class CallFigures:
    log: LogSpec
    windows: list[CallWindow]


def account_facts(
    *,
    username: str,
    account: models.Account | None,
    logs: list[LogSpec],
    newest: Mapping[str, NewestRows],
) -> list[FactLine]:
    """What each of `logs` tells of the account, in the logs' order.

    `newest`: each log's newest rows of the account where the page has read them already
    (its timeline's first page): a fact of a log's last row matching some values is the
    first of them that does, if one does; a log with no row of the account has none to
    count or show.
    """
    lines = []
    for spec in logs:
        if not spec.account_facts:
            continue
        rows, branches = account_rows(spec, username=username, account=account)
        read = newest.get(spec.slug)
        for fact in spec.account_facts:
            if read is not None and read.complete and not read.rows:
                lines.append(FactLine(spec, fact))
            elif fact.kind == LAST:
                lines.append(FactLine(spec, fact, record=_last(rows, branches, fact, read)))
            else:
                count = rows.filter(**fact.matching).order_by()[: FACT_CAP + 1].count()
                lines.append(FactLine(spec, fact, count=count))
    return lines


def _last(
    rows: QuerySet, branches: list, fact: AccountFact, read: NewestRows | None
) -> Model | None:
    """The newest of `rows` that `fact` matches: among the rows read already when one of
    them does (or they are all the account's rows), else read."""
    if read is not None:
        for row in read.rows:
            matched = _matches(row, fact.matching)
            if matched is None:  # a lookup only the database can tell
                break
            if matched:
                return row
        else:
            if read.complete:
                return None
    found = first_rows(rows.filter(**fact.matching), 1, branches)
    return found[0] if found else None


def _matches(row: Model, matching: Mapping[str, object]) -> bool | None:
    """Whether `row` has the values of `matching` (lookups `field` and `field__in`); None
    for a lookup it cannot tell in Python."""
    for lookup, wanted in matching.items():
        name, _, kind = lookup.partition("__")
        value = getattr(row, name)
        if kind in ("", "exact"):
            if value != wanted:
                return False
        elif kind == "in":
            if value not in wanted:
                return False
        else:
            return None
    return True


def call_figures(
    *, account: models.Account, logs: list[LogSpec], now: datetime
) -> CallFigures | None:
    """The account's calls over the diagnosis' windows, from the first of `logs` whose
    aggregates tell them; None when none does (or the viewer sees no such log)."""
    for spec in logs:
        for aggregate in spec.aggregates:
            if aggregate.account_windows is not None:
                return CallFigures(spec, aggregate.account_windows(account.pk, now))
    return None
