"""What happened in a call, in plain words: every Disposition × Hangup Cause × Call Type."""

import re
from itertools import product

import pytest

from logging_app.logs.cdr_outcomes import call_outcome
from logging_app.models import CallType, Disposition, HangupCause

# The manual's meaning of each final state, as the sentence opens.
HEADS = {
    "ANSWERED": "Answered",
    "NO_ANSWER": "Not answered",
    "BUSY": "Busy",
    "FAILED": "Failed",
    "CANCEL": "Canceled",
}
# ITU-T Q.850 cause numbers; NOT_DEFINED has none.
Q850 = {
    "NO_ROUTE_DESTINATION": 3,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "BEARERCAPABILITY_NOTAVAIL": 58,
}
# The manual: "[when call goes out by Trunk]".
TRUNK_ONLY = {"NO_USER_RESPONSE", "NORMAL_CIRCUIT_CONGESTION", "SUBSCRIBER_ABSENT"}
# What each call type adds to the sentence.
TYPE_WORDS = {
    "CALL": None,
    "3-WAY": "3-way call",
    "CONFERENCE": "conference room",
    "TRANSFER": "transferred to a third person",
}
# A manual code written into a sentence (NO_ANSWER, USER_BUSY): prose names none.
CODE = re.compile(r"\b[A-Z]+_[A-Z_]+\b")


def _outcome(disposition: str, cause: str, call_type: str = "CALL", route: str = ""):
    return call_outcome(
        disposition=disposition, hangup_cause=cause, call_type=call_type, call_route=route
    )


def test_it_knows_every_value_of_the_manual():
    assert set(HEADS) == set(Disposition.values)
    assert set(Q850) | {"NOT_DEFINED"} == set(HangupCause.values)
    assert set(TYPE_WORDS) == set(CallType.values)


@pytest.mark.parametrize(
    ("disposition", "cause", "call_type"),
    list(product(Disposition.values, HangupCause.values, CallType.values)),
)
def test_it_says_what_happened_in_every_combination(disposition, cause, call_type):
    unrouted = _outcome(disposition, cause, call_type)
    routed = _outcome(disposition, cause, call_type, route="trunk-milan")

    sentence = unrouted.sentence
    assert sentence.startswith(HEADS[disposition])
    assert sentence.endswith(".")
    assert not CODE.search(sentence)
    assert unrouted.q850 == Q850.get(cause)
    if cause in Q850:
        assert f"(Q.850 cause {Q850[cause]})" in sentence
    else:
        assert "Q.850" not in sentence
    if TYPE_WORDS[call_type]:
        assert TYPE_WORDS[call_type] in sentence
    else:
        assert not any(words and words in sentence for words in TYPE_WORDS.values())
    assert routed.sentence == sentence
    assert routed.note == ""
    if cause in TRUNK_ONLY:
        assert unrouted.note == (
            f"Note: the manual gives {cause} only for calls that go out by a trunk, "
            "yet this call has no call route."
        )
        assert str(unrouted) == f"{sentence} {unrouted.note}"
    else:
        assert unrouted.note == ""
        assert str(unrouted) == sentence


def test_it_tells_every_disposition_and_cause_apart():
    pairs = list(product(Disposition.values, HangupCause.values))

    sentences = {_outcome(disposition, cause).sentence for disposition, cause in pairs}

    assert len(sentences) == len(pairs)


@pytest.mark.parametrize(
    ("disposition", "cause", "sentence"),
    [
        (
            "FAILED",
            "BEARERCAPABILITY_NOTAVAIL",
            "Failed: caller and callee use security models that are not compatible "
            "(Q.850 cause 58).",
        ),
        ("ANSWERED", "NORMAL_CLEARING", "Answered and ended normally (Q.850 cause 16)."),
        (
            "NO_ANSWER",
            "NO_ANSWER",
            "Not answered: the callee did not answer before the call timed out (Q.850 cause 19).",
        ),
        (
            "BUSY",
            "CALL_REJECTED",
            'Busy: the callee rejected the call, as by pressing the "hold" button '
            "(Q.850 cause 21).",
        ),
        (
            "FAILED",
            "NO_ROUTE_DESTINATION",
            "Failed: the callee is not known to the system, and there is no trunk to route "
            "the call out (Q.850 cause 3).",
        ),
        (
            "CANCEL",
            "NORMAL_CLEARING",
            "Canceled: the caller hung up during ringing; the call was closed normally "
            "(Q.850 cause 16).",
        ),
        (
            "BUSY",
            "NOT_DEFINED",
            "Busy: the callee refused the call; why it ended is not known "
            "(no information received, or none of the known causes).",
        ),
        # Fields that disagree: each is said.
        (
            "ANSWERED",
            "USER_BUSY",
            "Answered: the callee answered, yet the hangup cause says the callee was busy "
            "(Q.850 cause 17).",
        ),
    ],
)
def test_it_puts_disposition_and_cause_together_in_plain_words(disposition, cause, sentence):
    assert _outcome(disposition, cause).sentence == sentence


def test_it_says_what_the_call_type_adds():
    outcome = _outcome("ANSWERED", "NORMAL_CLEARING", "CONFERENCE")

    assert str(outcome) == (
        "Answered and ended normally (Q.850 cause 16). This is one leg of a conference room "
        "(one number that several people call to talk together); the other participants "
        "share the call id."
    )


def test_it_names_a_value_the_manual_does_not_list():
    outcome = _outcome("RINGING", "ORIGINATOR_CANCEL", "PAGING")

    assert outcome.sentence == (
        "RINGING: a disposition the manual does not list, yet the hangup cause says "
        "ORIGINATOR_CANCEL, a cause the manual does not list."
    )
    assert outcome.q850 is None
