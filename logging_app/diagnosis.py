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

from django.db.models import Model

from . import models
from .aggregates import CallWindow
from .logs import LogSpec
from .logs.spec import LAST, AccountFact

__all__ = ["FACT_CAP", "LAST", "CallFigures", "FactLine", "account_facts", "call_figures"]
from .selectors import account_rows, first_rows

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
    newest: Mapping[str, Model | None],
) -> list[FactLine]:
    """What each of `logs` tells of the account, in the logs' order.

    `newest`: each log's newest row of the account where the page has read it already
    (its timeline's first page): a fact of a log's last row, whatever it holds, is that,
    and a log with no row of the account has none to count or show.
    """
    lines = []
    for spec in logs:
        if not spec.account_facts:
            continue
        rows, branches = account_rows(spec, username=username, account=account)
        for fact in spec.account_facts:
            matching = rows.filter(**fact.matching)
            if spec.slug in newest and newest[spec.slug] is None:
                lines.append(FactLine(spec, fact))
            elif fact.kind == LAST and not fact.matching and spec.slug in newest:
                lines.append(FactLine(spec, fact, record=newest[spec.slug]))
            elif fact.kind == LAST:
                found = first_rows(matching, 1, branches)
                lines.append(FactLine(spec, fact, record=found[0] if found else None))
            else:
                count = matching.order_by()[: FACT_CAP + 1].count()
                lines.append(FactLine(spec, fact, count=count))
    return lines


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
