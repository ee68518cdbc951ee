"""The demo's calls: the Call Details Record and the SIP Sessions."""

from collections.abc import Sequence
from datetime import timedelta

from .. import models
from .core import DAY, Demo, DemoAccount, call_leg, sip_session
from .stories import Cast, cast_of, story_calls, story_sip_events

CONFERENCE_ROOMS = ("+390612349001", "+390612349002")
UNKNOWN_NUMBER = "+390612349999"
TRUNKS = ("trunk-eu-1", "trunk-us-1")

C = models.CallType
D = models.Disposition
H = models.HangupCause

# Outcomes of a call between two users, and how often: (disposition, hangup cause, weight).
INTERNAL_OUTCOMES = (
    (D.ANSWERED, H.NORMAL_CLEARING, 60),
    (D.NO_ANSWER, H.NO_ANSWER, 10),
    (D.BUSY, H.USER_BUSY, 6),
    (D.BUSY, H.CALL_REJECTED, 4),
    (D.CANCEL, H.NORMAL_CLEARING, 4),
    (D.CANCEL, H.NOT_DEFINED, 2),
    (D.FAILED, H.NOT_DEFINED, 2),
    (D.FAILED, H.BEARERCAPABILITY_NOTAVAIL, 1),
)
# Calls that go out by a trunk.
TRUNK_OUTCOMES = (
    (D.ANSWERED, H.NORMAL_CLEARING, 6),
    (D.NO_ANSWER, H.NO_USER_RESPONSE, 2),
    (D.FAILED, H.NORMAL_CIRCUIT_CONGESTION, 1),
    (D.FAILED, H.SUBSCRIBER_ABSENT, 1),
)
NO_ROUTE = (D.FAILED, H.NO_ROUTE_DESTINATION, 1)
# (kind of call, weight): kinds are the call types plus calls out by a trunk or to nobody.
CALL_KINDS = (
    ("CALL", 80),
    ("TRUNK", 8),
    ("NO_ROUTE", 2),
    ("TRANSFER", 4),
    ("3-WAY", 3),
    ("CONFERENCE", 3),
)


def cdr_records(demo: Demo) -> list[dict]:
    kinds, weights = zip(*CALL_KINDS, strict=True)
    plan: list[tuple[str, tuple | None]] = [
        *(("CALL", outcome) for outcome in INTERNAL_OUTCOMES),
        *(("TRUNK", outcome) for outcome in TRUNK_OUTCOMES),
        *((kind, None) for kind in kinds if kind not in {"CALL", "TRUNK"}),
    ]
    calls = len(demo.accounts) * demo.days * 2
    plan += [(kind, None) for kind in demo.rng.choices(kinds, weights, k=calls - len(plan))]
    cast = cast_of(demo)
    records = []
    for sequence, (kind, outcome) in enumerate(plan, start=1):
        records += _call(demo, cast, kind, outcome, sequence)
    return records + story_calls(demo, cast, sequence=len(plan) + 1)


def _outcome(demo: Demo, outcomes: Sequence[tuple]) -> tuple:
    return demo.rng.choices(outcomes, weights=[weight for *_, weight in outcomes])[0]


def _leg(demo: Demo, *, outcome: tuple, **leg) -> dict:
    """`call_leg` with the outcome's disposition and hangup cause, and durations drawn."""
    disposition, hangup_cause, _ = outcome
    ringing = demo.rng.randint(2, 25)
    talking = demo.rng.randint(5, 1800) if disposition == D.ANSWERED else 0
    return call_leg(
        demo,
        disposition=disposition,
        hangup_cause=hangup_cause,
        ringing=ringing,
        talking=talking,
        **leg,
    )


def _call(demo: Demo, cast: Cast, kind: str, outcome: tuple | None, sequence: int) -> list[dict]:
    # Calls end well before now: the CDR lists only finished calls.
    drawn = demo.moment(before=timedelta(hours=1))
    answered = INTERNAL_OUTCOMES[0]
    caller, callee = demo.pair()

    def placed(*people: DemoAccount) -> dict:
        when = cast.clear(drawn, people)
        return {"when": when, "caller": caller, "call_id": f"{int(when.timestamp())}.{sequence}"}

    match kind:
        case "CALL":
            outcome = outcome or _outcome(demo, INTERNAL_OUTCOMES)
            leg = placed(caller, callee)
            return [_leg(demo, callee=callee, call_type=C.CALL, outcome=outcome, **leg)]
        case "TRUNK":
            return [
                _leg(
                    demo,
                    callee=None,
                    callee_number=f"+4420794{demo.rng.randint(0, 99999):05d}",
                    route=demo.rng.choice(TRUNKS),
                    call_type=C.CALL,
                    outcome=outcome or _outcome(demo, TRUNK_OUTCOMES),
                    **placed(caller),
                )
            ]
        case "NO_ROUTE":
            return [
                _leg(
                    demo,
                    callee=None,
                    callee_number=UNKNOWN_NUMBER,
                    call_type=C.CALL,
                    outcome=NO_ROUTE,
                    **placed(caller),
                )
            ]
        case "TRANSFER" | "3-WAY":
            # The first leg is answered; then the callee is transferred, or a third
            # party invited, on the same call id.
            third = demo.rng.choice([a for a in demo.accounts if a not in (caller, callee)])
            leg = placed(caller, callee, third)
            first = _leg(demo, callee=callee, call_type=kind, outcome=answered, **leg)
            later = leg["when"] + timedelta(seconds=first["call_duration"] // 2 + 1)
            outcome = _outcome(demo, INTERNAL_OUTCOMES[:4])
            second = _leg(
                demo, callee=third, call_type=kind, outcome=outcome, **(leg | {"when": later})
            )
            return [first, second]
        case "CONFERENCE":
            room = demo.rng.randrange(len(CONFERENCE_ROOMS))
            people = demo.rng.sample(demo.accounts, demo.rng.randint(3, min(5, len(demo.accounts))))
            leg = placed(*people)
            return [
                _leg(
                    demo,
                    when=leg["when"] + timedelta(seconds=demo.rng.randint(0, 120)),
                    caller=person,
                    callee=None,
                    callee_number=CONFERENCE_ROOMS[room],
                    callee_name=f"Conference room {room + 1}",
                    call_id=leg["call_id"],
                    call_type=C.CONFERENCE,
                    outcome=answered,
                )
                for person in people
            ]
    raise ValueError(kind)


def sip_records(demo: Demo) -> list[dict]:
    """A session a day per account, but where the stories (stories.py) have the cast's."""
    cast = cast_of(demo)
    records = []
    for account in demo.accounts:
        for day in range(demo.days):
            connected = demo.start + day * DAY + timedelta(hours=demo.rng.uniform(6, 10))
            ended = connected + timedelta(hours=demo.rng.uniform(1, 10))
            address = f"{account.address}:{demo.rng.randint(1024, 65535)}"
            if account in cast.members and cast.near(connected, ended):
                continue
            records += sip_session(demo, account, address=address, connected=connected, ended=ended)
    return records + story_sip_events(demo, cast)
