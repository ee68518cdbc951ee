"""`manage.py run_worker`: one cycle of every job, failures, and the schedule."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from logging_app import jobs, models
from logging_app.management.commands.run_worker import run_schedule
from tests.factories import make_call_detail_record, make_secure_message, make_sip_session_event
from tests.test_jobs_forward_siem import UdpCollector


def _run_once() -> list[str]:
    out = io.StringIO()
    call_command("run_worker", "--once", stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_it_runs_every_job_once(settings):
    now = timezone.now()
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"period": "DAY", "duration": 1})
    connect = make_sip_session_event(
        event="CONNECT", username="", remote_address="198.51.100.7:5061", timestamp=now
    )
    for minutes, event in ((1, "REGISTER"), (2, "DISCONNECT")):
        make_sip_session_event(
            event=event,
            username="alice" if event == "REGISTER" else "",
            remote_address="198.51.100.7:5061",
            timestamp=now + timedelta(minutes=minutes),
        )
    message = make_secure_message(
        status="ENQUEUED", received=now - timedelta(hours=73), processed=None
    )
    make_call_detail_record(call_type="CALL", call_date=now - timedelta(days=2))

    with UdpCollector() as collector:
        settings.SIEM_SYSLOG_URL = collector.url
        lines = _run_once()

        # The expiry's Security event went out in the same cycle: forwarding runs last.
        [datagram] = collector.take(1)
    assert b" MSG-300 " in datagram
    assert lines == [
        "keep_partitions: every partition needed exists",
        "reconcile_sip: 2 events bound to an account in 1 connections; "
        "left unbound: 0 ambiguous, 0 unmatched connections",
        "expire_secure_messages: 1 messages ENQUEUED for over 72 h expired",
        "purge_logs: 1 cdr rows deleted",
        "check_health: no heartbeat received yet; 0 Security events recorded",
        "forward_siem: 1 events sent, 0 failed, 0 waiting",
    ]
    connect.refresh_from_db()
    message.refresh_from_db()
    assert (connect.username, connect.reconciled) == ("alice", True)
    assert message.status == "EXPIRED"
    assert not models.CallDetailRecord.objects.exists()


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(monkeypatch, settings, caplog):
    settings.SIEM_SYSLOG_URL = ""
    ran = []

    def broken() -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setitem(jobs.JOBS, "expire_secure_messages", broken)
    monkeypatch.setitem(jobs.JOBS, "purge_logs", lambda: ran.append("purge_logs") or "purged")
    err = io.StringIO()

    with pytest.raises(CommandError, match="Failed: expire_secure_messages"):
        call_command("run_worker", "--once", stdout=io.StringIO(), stderr=err)

    assert ran == ["purge_logs"]
    assert "expire_secure_messages: failed" in err.getvalue()
    assert "database on fire" in caplog.text


def test_the_schedule_runs_each_job_on_its_own_interval():
    clock = [0.0]
    runs: list[tuple[str, float]] = []
    stop = threading.Event()

    def wait(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 60:
            stop.set()

    def job(name: str):
        return lambda: runs.append((name, clock[0]))

    run_schedule(
        jobs={"often": job("often"), "seldom": job("seldom")},
        intervals={"often": 10, "seldom": 25},
        stop=stop,
        clock=lambda: clock[0],
        wait=wait,
    )

    assert [t for name, t in runs if name == "often"] == [0, 10, 20, 30, 40, 50, 60]
    assert [t for name, t in runs if name == "seldom"] == [0, 25, 50]


def test_the_schedule_stops_when_asked():
    stop = threading.Event()
    runs = []

    def job() -> None:
        runs.append(1)
        stop.set()

    run_schedule(jobs={"only": job}, intervals={"only": 3600}, stop=stop)

    assert runs == [1]
