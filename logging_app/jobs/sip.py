"""SIP reconciliation: CONNECT and DISCONNECT bound to the account registered from their address."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from .. import models
from ..ingest import chunks
from .report import log_result

_EDGES = (models.SipEvent.CONNECT, models.SipEvent.DISCONNECT)


@dataclass
class ReconcileResult:
    bound: int = 0  # CONNECT/DISCONNECT events given an account
    connections: int = 0  # connections those events belong to
    ambiguous: int = 0  # connections left unbound: several accounts registered
    unmatched: int = 0  # connections left unbound: no account registered

    @property
    def changed(self) -> bool:
        return self.bound > 0

    def __str__(self) -> str:
        return (
            f"reconcile_sip: {self.bound} events bound to an account in {self.connections} "
            f"connections; left unbound: {self.ambiguous} ambiguous, "
            f"{self.unmatched} unmatched connections"
        )


@dataclass
class _Connection:
    """The events of one address from its CONNECT (if known) to its end."""

    edges: list[models.SipSessionEvent] = field(default_factory=list)
    # Accounts that registered during it: username → Account id (None if not linked).
    registered: dict[str, int | None] = field(default_factory=dict)


def _closed_connections(events: Iterable[models.SipSessionEvent]) -> Iterator[_Connection]:
    """Split one address's events, in time order, into its connections.

    A connection ends with its DISCONNECT, or with the next CONNECT when the DISCONNECT
    is missing. The connection still open at the end is not yielded: an account may yet
    register during it, so it is bound by a later run.
    """
    current = _Connection()
    for event in events:
        if event.event == models.SipEvent.CONNECT:
            if current.edges:
                yield current
            current = _Connection(edges=[event])
        elif event.event == models.SipEvent.DISCONNECT:
            current.edges.append(event)
            yield current
            current = _Connection()
        elif event.event == models.SipEvent.REGISTER and event.username:
            current.registered.setdefault(event.username, event.account_id)


def _addresses_events(
    addresses: Sequence[str], since: datetime
) -> dict[str, list[models.SipSessionEvent]]:
    """Each address's events from the start of its connection open at `since` onward.

    That start is the address's last CONNECT or DISCONNECT before `since`; with none,
    the address's whole history is read. A few queries for all the addresses, not two
    per address: a month of a busy site has tens of thousands of them.
    """
    boundaries = dict(
        models.SipSessionEvent.objects.filter(
            remote_address__in=addresses, event__in=_EDGES, timestamp__lt=since
        )
        .values("remote_address")
        .annotate(start=Max("timestamp"))
        .values_list("remote_address", "start")
        .order_by()
    )
    unbounded = [address for address in addresses if address not in boundaries]
    readings = []
    if unbounded:
        readings.append(Q(remote_address__in=unbounded))
    if boundaries:
        earliest = min(boundaries.values())
        readings.append(Q(remote_address__in=list(boundaries), timestamp__gte=earliest))
    events: dict[str, list[models.SipSessionEvent]] = defaultdict(list)
    for reading in readings:
        rows = (
            models.SipSessionEvent.objects.filter(reading)
            .order_by("remote_address", "timestamp", "id")
            .only("id", "timestamp", "event", "username", "account_id", "remote_address")
        )
        for event in rows:
            start = boundaries.get(event.remote_address)
            if start is None or event.timestamp >= start:
                events[event.remote_address].append(event)
    return events


def _bind(bindings: dict[str, list[int]], account_ids: dict[str, int | None]) -> int:
    """Give each username its events; one UPDATE per username (per chunk of ids)."""
    missing = sorted(name for name, account_id in account_ids.items() if account_id is None)
    for chunk in chunks(missing):
        account_ids.update(
            models.Account.objects.filter(username__in=chunk).values_list("username", "id")
        )
    bound = 0
    for username, ids in bindings.items():
        for chunk in chunks(ids):
            # username="" again: a concurrent run, or the appliance, may have bound them.
            bound += models.SipSessionEvent.objects.filter(pk__in=chunk, username="").update(
                username=username, account_id=account_ids[username], reconciled=True
            )
    return bound


def reconcile_sip_sessions(
    *, now: datetime | None = None, lookback: timedelta | None = None
) -> ReconcileResult:
    """Bind CONNECT/DISCONNECT events that came with an address only to an account.

    A connection's events are bound to the account that REGISTERed from that address
    between its CONNECT and its DISCONNECT, when exactly one did. Events still unbound
    are looked for among the last `lookback` (SIP_RECONCILE_LOOKBACK_HOURS) of events.
    """
    now = now or timezone.now()
    lookback = lookback or timedelta(hours=settings.SIP_RECONCILE_LOOKBACK_HOURS)
    since = now - lookback
    addresses = list(
        models.SipSessionEvent.objects.filter(event__in=_EDGES, username="", timestamp__gte=since)
        .order_by("remote_address")
        .values_list("remote_address", flat=True)
        .distinct()
    )
    result = ReconcileResult()
    bindings: dict[str, list[int]] = defaultdict(list)
    account_ids: dict[str, int | None] = {}
    for chunk in chunks(addresses):
        events = _addresses_events(chunk, since)
        for connection in (c for address in chunk for c in _closed_connections(events[address])):
            unbound = [event.pk for event in connection.edges if not event.username]
            if not unbound:
                continue
            if len(connection.registered) > 1:
                result.ambiguous += 1
            elif not connection.registered:
                result.unmatched += 1
            else:
                [(username, account_id)] = connection.registered.items()
                if account_ids.get(username) is None:
                    account_ids[username] = account_id
                bindings[username].extend(unbound)
                result.connections += 1
    with transaction.atomic():
        result.bound = _bind(bindings, account_ids)
    log_result(result, changed=result.changed)
    return result
