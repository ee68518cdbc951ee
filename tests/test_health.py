"""The appliance's health: the last heartbeat, each log's newest record, its lag and pace."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logging_app import health
from logging_app.logs import LOGS
from tests.factories import make_call_detail_record, make_system_event, make_web_session_event

pytestmark = pytest.mark.django_db


def _cdrs_every(gap: timedelta, *, newest, count: int = health.USUAL_SAMPLE) -> None:
    for n in range(count):
        make_call_detail_record(call_date=newest - n * gap)


def _log(state: health.Health, slug: str) -> health.LogHealth:
    return next(log for log in state.logs if log.spec.slug == slug)


def test_it_tells_the_last_heartbeat_and_how_long_ago(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 300
    now = timezone.now()
    make_system_event(timestamp=now - timedelta(minutes=9))
    make_system_event(timestamp=now - timedelta(minutes=2))
    make_system_event(timestamp=now - timedelta(minutes=1), event_type="REBOOT")

    state = health.appliance_health(now=now)

    assert state.last_heartbeat == now - timedelta(minutes=2)
    assert state.heartbeat_age_words == "2 minutes"
    assert not state.heartbeats_stopped
    assert not state.warnings


def test_it_says_the_heartbeats_stopped_after_the_expected_interval(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 300
    now = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=now - timedelta(seconds=300))
    assert not health.appliance_health(now=now).heartbeats_stopped

    state = health.appliance_health(now=now + timedelta(seconds=1))

    assert state.heartbeats_stopped
    assert state.warnings
    assert state.expected_words == "5 minutes"


def test_it_says_when_no_heartbeat_ever_came():
    state = health.appliance_health()

    assert state.no_heartbeat
    assert not state.heartbeats_stopped
    assert state.warnings


def test_it_gives_each_log_its_newest_record_and_lag():
    now = timezone.now().replace(microsecond=0)
    make_web_session_event(date_created=now - timedelta(minutes=30))
    make_web_session_event(date_created=now - timedelta(minutes=3))

    state = health.appliance_health(now=now)

    assert [log.spec.slug for log in state.logs] == list(LOGS)
    sessions = _log(state, "web-sessions")
    assert sessions.newest == now - timedelta(minutes=3)
    assert sessions.lag == timedelta(minutes=3)
    assert sessions.usual_gap is None  # two records tell no pace
    assert _log(state, "cdr").newest is None
    assert _log(state, "cdr").lag is None


def test_it_never_gives_a_lag_below_zero():
    now = timezone.now()
    make_web_session_event(date_created=now + timedelta(minutes=5))  # the appliance's clock

    assert _log(health.appliance_health(now=now), "web-sessions").lag == timedelta(0)


def test_it_calls_a_log_silent_for_much_longer_than_usual(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 300
    now = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=now)
    _cdrs_every(timedelta(minutes=1), newest=now - timedelta(minutes=11))

    state = health.appliance_health(now=now)

    cdr = _log(state, "cdr")
    assert cdr.usual_gap == timedelta(minutes=1)
    assert cdr.lag == timedelta(minutes=11)
    assert cdr.silent
    assert state.silent_logs == [cdr]
    assert state.warnings


def test_it_does_not_call_a_log_silent_within_ten_times_its_usual_gap(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 300
    now = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=now)
    _cdrs_every(timedelta(minutes=1), newest=now - timedelta(minutes=10))

    assert not _log(health.appliance_health(now=now), "cdr").silent


def test_it_does_not_call_a_log_silent_sooner_than_the_heartbeat_interval(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 3600
    now = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=now)
    _cdrs_every(timedelta(seconds=10), newest=now - timedelta(minutes=30))

    assert not _log(health.appliance_health(now=now), "cdr").silent


def test_it_does_not_call_a_log_of_few_records_silent(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 60
    now = timezone.now()
    _cdrs_every(timedelta(minutes=1), newest=now - timedelta(days=3), count=health.USUAL_SAMPLE - 1)

    cdr = _log(health.appliance_health(now=now), "cdr")

    assert cdr.usual_gap is None
    assert not cdr.silent


def test_it_watches_no_log_for_silence_with_a_factor_of_zero(settings):
    settings.HEARTBEAT_EXPECTED_SECONDS = 60
    settings.LOG_SILENCE_FACTOR = 0
    now = timezone.now()
    _cdrs_every(timedelta(minutes=1), newest=now - timedelta(days=3))

    assert health.appliance_health(now=now).silent_logs == []


def _probes(queries: CaptureQueriesContext) -> int:
    return sum(query["sql"].startswith("SELECT (SELECT") for query in queries)


def test_it_reads_everything_in_one_query_then_keeps_it():
    make_system_event()
    with CaptureQueriesContext(connection) as first:
        health.appliance_health()
    with CaptureQueriesContext(connection) as kept:
        health.appliance_health()
    with CaptureQueriesContext(connection) as fresh:
        health.appliance_health(fresh=True)

    # On PostgreSQL, the probe's time limit is set around it.
    assert (_probes(first), len(kept), _probes(fresh)) == (1, 0, 1)


def test_it_reads_a_log_registered_later(ninth_log):
    health.appliance_health()  # kept without the ninth log

    assert ninth_log in [log.spec for log in health.appliance_health().logs]


def test_it_tells_someone_only_what_they_may_read():
    make_system_event()
    cdr = LOGS["cdr"]

    seen = health.appliance_health().seen_by([cdr])

    assert [log.spec for log in seen.logs] == [cdr]
    assert seen.last_heartbeat is None
    assert not seen.no_heartbeat  # the heartbeats are not theirs to know of
    assert not seen.warnings


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=2, seconds=5), "2 minutes, 5 seconds"),
        (timedelta(hours=3, minutes=4), "3 hours, 4 minutes"),
    ],
)
def test_it_writes_durations_in_words(span, text):
    assert health.words(span) == text
