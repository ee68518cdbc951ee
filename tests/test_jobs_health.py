"""check_health: each health warning recorded once per outage as a Security event."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from logging_app import health, models, siem
from logging_app.jobs import JOBS, check_health
from tests.factories import make_call_detail_record, make_system_event

pytestmark = pytest.mark.django_db

STOPPED = siem.CONSOLE_SIGNATURES["heartbeats_stopped"].signature_id
SILENT = siem.CONSOLE_SIGNATURES["log_silent"].signature_id


@pytest.fixture(autouse=True)
def _five_minutes(settings) -> None:
    settings.HEARTBEAT_EXPECTED_SECONDS = 300


def _events(signature_id: str) -> list[models.SecurityEvent]:
    return list(models.SecurityEvent.objects.filter(signature_id=signature_id).order_by("id"))


def test_it_records_nothing_while_the_heartbeats_come():
    make_system_event(timestamp=timezone.now() - timedelta(minutes=1))

    result = check_health()

    assert result.recorded == 0
    assert not models.SecurityEvent.objects.exists()
    assert str(result) == "check_health: the appliance is healthy; 0 Security events recorded"


def test_it_records_stopped_heartbeats_once_per_outage():
    start = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=start - timedelta(minutes=10))

    first = check_health(now=start)
    second = check_health(now=start + timedelta(minutes=1))

    assert (first.recorded, second.recorded) == (1, 0)
    assert second.warnings == ["no heartbeat for 11 minutes"]
    [event] = _events(STOPPED)
    assert event.timestamp == start
    assert event.severity == 7
    assert event.name == "Appliance heartbeats stopped"
    assert event.source_log == models.SourceLog.CONSOLE
    line = siem.event_cef_line(event)
    assert "|CON-530|Appliance heartbeats stopped|7|" in line
    assert (
        "No heartbeat from the appliance for 10 minutes (expected at least every 5 minutes)" in line
    )

    # The heartbeats come back, then stop again: a new outage, a new event.
    make_system_event(timestamp=start + timedelta(minutes=2))
    assert check_health(now=start + timedelta(minutes=3)).recorded == 0
    assert check_health(now=start + timedelta(minutes=8)).recorded == 1
    assert check_health(now=start + timedelta(minutes=9)).recorded == 0
    assert [event.timestamp for event in _events(STOPPED)] == [
        start,
        start + timedelta(minutes=8),
    ]


def test_it_queues_the_event_for_the_siem():
    make_system_event(timestamp=timezone.now() - timedelta(hours=1))

    check_health()

    [event] = _events(STOPPED)
    assert models.SiemOutbox.objects.filter(security_event=event).exists()


def test_it_records_no_event_before_any_heartbeat():
    result = check_health()

    assert result.recorded == 0
    assert str(result) == "check_health: no heartbeat received yet; 0 Security events recorded"


def test_it_records_a_silent_log_once_per_silence():
    start = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=start)
    for n in range(health.USUAL_SAMPLE):
        make_call_detail_record(call_date=start - timedelta(minutes=20 + n))

    first = check_health(now=start)
    second = check_health(now=start + timedelta(minutes=1))

    assert (first.recorded, second.recorded) == (1, 0)
    assert first.warnings == ["cdr silent for 20 minutes"]
    [event] = _events(SILENT)
    assert event.name == "Log silent for much longer than usual"
    line = siem.event_cef_line(event)
    assert "cs1Label=log cs1=cdr" in line
    assert "Call Details Record has received nothing for 20 minutes" in line
    assert "usually a record every 1 minute" in line

    # A record arrives, then the log is silent again: a new silence, a new event.
    make_call_detail_record(call_date=start + timedelta(minutes=2))
    make_system_event(timestamp=start + timedelta(minutes=20))
    assert check_health(now=start + timedelta(minutes=21)).recorded == 1
    assert len(_events(SILENT)) == 2


def test_it_tells_silent_logs_apart():
    start = timezone.now().replace(microsecond=0)
    make_system_event(timestamp=start)
    for n in range(health.USUAL_SAMPLE):
        make_call_detail_record(call_date=start - timedelta(minutes=20 + n))
    # An older silence of another log was recorded: it does not stand for this one.
    call_command("check_health", stdout=StringIO())
    models.SecurityEvent.objects.filter(signature_id=SILENT).update(
        details="CEF:0|Secure Voice|Logging Console|1.0|CON-531|Log silent|5|cs1Label=log cs1=sip"
    )

    assert check_health(now=start).recorded == 1


def test_it_is_a_job_of_the_worker_and_a_command():
    make_system_event(timestamp=timezone.now() - timedelta(hours=1))
    out = StringIO()

    call_command("check_health", stdout=out)

    assert JOBS["check_health"] is check_health
    assert out.getvalue() == ("check_health: no heartbeat for 1 hour; 1 Security event recorded\n")
