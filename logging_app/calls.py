"""The call page, `/calls/<call id>/`: one call as support reads it.

Every leg sharing the call id, what happened in plain words, both parties' SIP events from
a few minutes before the call to a few minutes after it (one lane per party: were they
registered, from which address, did a DISCONNECT cut the call), the Security events made
from the legs, and links to the accounts. Every query goes through an index: the call id's,
the SIP (account, time) and (username, time) ones, the Security (source log, time) one.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import models
from .listing.columns import Rendering
from .logs import log_for_model
from .views import can_view, require_view_permission

# The SIP events shown around a call: from this long before it starts…
BEFORE = timedelta(minutes=10)
# …to this long after it ends.
AFTER = timedelta(minutes=5)
# The most legs and events a call page lists (a conference room can run for hours).
MOST = 200
_STATE_EVENTS = (models.SipEvent.REGISTER, models.SipEvent.UNREGISTER)


@dataclass
class Party:
    """One account the call involved, and its SIP events around the call."""

    label: str  # the account's username, or the number when no account matched
    account: models.Account | None
    numbers: set[str] = field(default_factory=set)
    state: models.SipSessionEvent | None = None  # the last REGISTER/UNREGISTER before
    events: list[models.SipSessionEvent] = field(default_factory=list)

    @property
    def registered(self) -> bool | None:
        if self.state is None:
            return None
        return self.state.event == models.SipEvent.REGISTER


@dataclass(frozen=True)
class Window:
    start: datetime  # the first leg's start
    end: datetime  # the last leg's end
    shown_from: datetime
    shown_to: datetime


def _window(legs: list[models.CallDetailRecord]) -> Window:
    start = min(leg.call_date for leg in legs)
    end = max(leg.call_date + timedelta(seconds=leg.total_duration) for leg in legs)
    return Window(start, end, start - BEFORE, end + AFTER)


def _parties(legs: list[models.CallDetailRecord]) -> list[Party]:
    """The call's accounts, callers first, in the order the legs name them."""
    parties: dict[object, Party] = {}
    for leg in legs:
        for number, account in (
            (leg.caller_number, leg.caller_account),
            (leg.callee_number, leg.callee_account),
        ):
            key = account.pk if account is not None else number
            if key not in parties:
                label = account.username if account is not None else number
                parties[key] = Party(label=label, account=account)
            parties[key].numbers.add(number)
    return list(parties.values())


# How far back a party's registration state is looked for before the call.
STATE_LOOKBACK = timedelta(hours=24)


def _sip_lanes(parties: list[Party], window: Window) -> None:
    """Each party's SIP events in the window, and its registration state at the start:
    two queries for all the parties, through the (account, time) and (username, time)
    indexes."""
    known = [party for party in parties if party.account is not None]
    if not known:
        return
    by_id = {party.account.pk: party for party in known}
    by_name = {party.account.username: party for party in known}
    theirs = Q(account__in=list(by_id)) | Q(username__in=list(by_name))

    def owner(event: models.SipSessionEvent) -> Party | None:
        return by_id.get(event.account_id) or by_name.get(event.username)

    events = models.SipSessionEvent.objects.filter(
        theirs, timestamp__gte=window.shown_from, timestamp__lte=window.shown_to
    ).order_by("timestamp", "id")
    for event in events[: MOST * len(known)]:
        if (party := owner(event)) is not None and len(party.events) < MOST:
            party.events.append(event)
    states = models.SipSessionEvent.objects.filter(
        theirs,
        event__in=_STATE_EVENTS,
        timestamp__gte=window.start - STATE_LOOKBACK,
        timestamp__lt=window.start,
    ).order_by("-timestamp", "-id")
    for event in states[: MOST * len(known)]:
        if (party := owner(event)) is not None and party.state is None:
            party.state = event


def _security_events(legs: list[models.CallDetailRecord]) -> list[models.SecurityEvent]:
    """The Security events rewritten from the legs (the time bounds use the log's index)."""
    cdr = log_for_model(models.CallDetailRecord)
    times = [leg.call_date for leg in legs]
    return list(
        models.SecurityEvent.objects.filter(
            source_log=cdr.slug,
            source_id__in=[leg.pk for leg in legs],
            timestamp__gte=min(times),
            timestamp__lte=max(times),
        ).order_by("timestamp", "id")[:MOST]
    )


@dataclass(frozen=True)
class LaneRow:
    time: datetime
    event: models.SipSessionEvent
    url: str
    during: bool  # within the call
    cut: bool  # a DISCONNECT or UNREGISTER while the call lasted


def _lane_rows(party: Party, window: Window, rendering: Rendering) -> list[LaneRow]:
    sip = log_for_model(models.SipSessionEvent)
    ending = (models.SipEvent.DISCONNECT, models.SipEvent.UNREGISTER)
    rows = []
    for event in party.events:
        during = window.start <= event.timestamp <= window.end
        rows.append(
            LaneRow(
                event.timestamp,
                event,
                rendering.detail_url(sip.slug, event.pk),
                during,
                during and event.event in ending,
            )
        )
    return rows


@require_safe
def call_detail(request: HttpRequest, call_id: str) -> HttpResponse:
    cdr = log_for_model(models.CallDetailRecord)
    require_view_permission(request, cdr.model)
    legs = list(
        models.CallDetailRecord.objects.filter(call_id=call_id)
        .select_related(*cdr.link_fields)
        .order_by("call_date", "id")[:MOST]
    )
    if not legs:
        raise Http404(f"No call has the id {call_id!r}.")
    window = _window(legs)
    parties = _parties(legs)
    sip = log_for_model(models.SipSessionEvent)
    show_sip = can_view(request.user, sip.model)
    if show_sip:
        _sip_lanes(parties, window)
    security = log_for_model(models.SecurityEvent)
    rendering = Rendering()
    context = {
        "call_id": call_id,
        "cdr": cdr,
        "legs": [
            (
                leg,
                rendering.detail_url(cdr.slug, leg.pk),
                cdr.explained(leg),
            )
            for leg in legs
        ],
        "window": window,
        "parties": [(party, _lane_rows(party, window, rendering)) for party in parties],
        "show_sip": show_sip,
        "legs_list_url": rendering.list_url(cdr.slug, call_id=call_id),
        "security_events": [
            (event, rendering.detail_url(security.slug, event.pk))
            for event in _security_events(legs)
        ]
        if can_view(request.user, security.model)
        else None,
        "before_minutes": int(BEFORE.total_seconds() // 60),
        "after_minutes": int(AFTER.total_seconds() // 60),
    }
    return render(request, "calls/detail.html", context)
