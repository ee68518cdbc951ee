"""What happened in a call, in plain words: its Disposition, Hangup Cause and Call Type put
together, as the manual asks ("you should always put together informations shown in
Disposition and Hangup Cause").

The Disposition is the call's final state, the Hangup Cause why it ended (with its ITU-T
Q.850 cause number, where the cause has one), the Call Type what kind of call the row is a
leg of. The wording is data, in the manual's terms; `call_outcome` puts it together.
"""

from dataclasses import dataclass
from functools import lru_cache

from ..models import CallType, Disposition, HangupCause


@dataclass(frozen=True)
class Outcome:
    sentence: str
    q850: int | None  # the ITU-T Q.850 cause number of the hangup cause, if it has one
    note: str = ""  # what looks wrong in the record itself

    def __str__(self) -> str:
        return f"{self.sentence} {self.note}" if self.note else self.sentence


@dataclass(frozen=True)
class _Disposition:
    head: str  # the final state, which opens the sentence
    meaning: str  # the manual's meaning of it
    # The causes that tell why the call ended in this state; the sentence gives the cause
    # alone. `neutral` causes say only how it ended; any other cause disagrees with the
    # state, and the sentence says what each field reports.
    explained_by: frozenset[str] = frozenset()
    neutral: frozenset[str] = frozenset({HangupCause.NOT_DEFINED, HangupCause.NORMAL_CLEARING})


@dataclass(frozen=True)
class _Cause:
    reason: str  # why the call ended, a clause completing "Failed: …"
    q850: int | None = None
    # The manual gives the cause "[when call goes out by Trunk]" only.
    trunk_only: bool = False


DISPOSITIONS = {
    Disposition.ANSWERED: _Disposition(
        "Answered",
        "the callee answered",
        neutral=frozenset({HangupCause.NOT_DEFINED}),
    ),
    Disposition.NO_ANSWER: _Disposition(
        "Not answered",
        "the callee did not answer",
        explained_by=frozenset(
            {HangupCause.NO_ANSWER, HangupCause.NO_USER_RESPONSE, HangupCause.SUBSCRIBER_ABSENT}
        ),
    ),
    Disposition.BUSY: _Disposition(
        "Busy",
        "the callee refused the call",
        explained_by=frozenset({HangupCause.USER_BUSY, HangupCause.CALL_REJECTED}),
    ),
    Disposition.FAILED: _Disposition(
        "Failed",
        "the call could not be placed",
        explained_by=frozenset(
            {
                HangupCause.NO_ROUTE_DESTINATION,
                HangupCause.BEARERCAPABILITY_NOTAVAIL,
                HangupCause.NORMAL_CIRCUIT_CONGESTION,
                HangupCause.SUBSCRIBER_ABSENT,
            }
        ),
        neutral=frozenset({HangupCause.NOT_DEFINED}),
    ),
    Disposition.CANCEL: _Disposition("Canceled", "the caller hung up during ringing"),
}

CAUSES = {
    HangupCause.NOT_DEFINED: _Cause(
        "why it ended is not known (no information received, or none of the known causes)"
    ),
    HangupCause.NO_ROUTE_DESTINATION: _Cause(
        "the callee is not known to the system, and there is no trunk to route the call out", 3
    ),
    HangupCause.NORMAL_CLEARING: _Cause("the call was closed normally", 16),
    HangupCause.USER_BUSY: _Cause("the callee was busy", 17),
    HangupCause.NO_ANSWER: _Cause("the callee did not answer before the call timed out", 19),
    HangupCause.CALL_REJECTED: _Cause(
        'the callee rejected the call, as by pressing the "hold" button', 21
    ),
    HangupCause.BEARERCAPABILITY_NOTAVAIL: _Cause(
        "caller and callee use security models that are not compatible", 58
    ),
    HangupCause.NO_USER_RESPONSE: _Cause(
        "the callee did not respond on the trunk before the call timed out", 18, trunk_only=True
    ),
    HangupCause.NORMAL_CIRCUIT_CONGESTION: _Cause(
        "the trunk had no free circuit to route the call to the callee", 34, trunk_only=True
    ),
    HangupCause.SUBSCRIBER_ABSENT: _Cause(
        "the callee was temporarily not reachable through the trunk", 20, trunk_only=True
    ),
}

# Pairs said better in a sentence of their own than by the rules below.
PAIRS = {
    (Disposition.ANSWERED, HangupCause.NORMAL_CLEARING): "Answered and ended normally",
    # Security models are compared once the call is answered: it then ends.
    (Disposition.ANSWERED, HangupCause.BEARERCAPABILITY_NOTAVAIL): (
        "Answered, then ended because caller and callee use security models that are not compatible"
    ),
}

# What the call type adds: the legs of a complex call share its call id.
CALL_TYPES = {
    CallType.CALL: "",
    CallType.THREE_WAY: (
        "This is one leg of a 3-way call (a regular call into which more participants were "
        "invited); its other legs share the call id."
    ),
    CallType.CONFERENCE: (
        "This is one leg of a conference room (one number that several people call to talk "
        "together); the other participants share the call id."
    ),
    CallType.TRANSFER: (
        "This is a regular call that was transferred to a third person; its other legs share "
        "the call id."
    ),
}


def call_outcome(
    *, disposition: str, hangup_cause: str, call_type: str, call_route: str
) -> Outcome:
    """What happened in a call leg, from its CDR fields, as a sentence and a note."""
    return _outcome(disposition, hangup_cause, call_type, bool(call_route))


# Every page and export row asks: 5 × 10 × 4 × 2 answers, worked out once each.
@lru_cache(maxsize=1024)
def _outcome(disposition: str, hangup_cause: str, call_type: str, routed: bool) -> Outcome:
    # Ingest admits the manual's values only; any other is named, not explained.
    state = DISPOSITIONS.get(disposition) or _Disposition(
        disposition or "No disposition", "a disposition the manual does not list"
    )
    cause = CAUSES.get(hangup_cause) or _Cause(
        f"{hangup_cause or 'nothing'}, a cause the manual does not list"
    )
    if (disposition, hangup_cause) in PAIRS:
        said = PAIRS[disposition, hangup_cause]
    elif hangup_cause in state.explained_by:
        said = f"{state.head}: {cause.reason}"
    elif hangup_cause in state.neutral:
        said = f"{state.head}: {state.meaning}; {cause.reason}"
    else:
        said = f"{state.head}: {state.meaning}, yet the hangup cause says {cause.reason}"
    number = f" (Q.850 cause {cause.q850})" if cause.q850 is not None else ""
    sentence = " ".join(filter(None, (f"{said}{number}.", CALL_TYPES.get(call_type, ""))))
    note = ""
    if cause.trunk_only and not routed:
        note = (
            f"Note: the manual gives {hangup_cause} only for calls that go out by a trunk, "
            "yet this call has no call route."
        )
    return Outcome(sentence, cause.q850, note)
