"""Purging: the CDR policy (its ingest and purge effects) and each log's retention."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logging_app import models
from logging_app.ingest import ingest_records
from logging_app.jobs import purge_logs
from logging_app.services import cdr_policy_update
from tests.factories import (
    make_call_detail_record,
    make_security_event,
    make_system_event,
    make_web_session_event,
)

pytestmark = pytest.mark.django_db

CALL, TRANSFER = models.CallType.CALL, models.CallType.TRANSFER
THREE_WAY, CONFERENCE = models.CallType.THREE_WAY, models.CallType.CONFERENCE


@pytest.fixture
def now():
    return timezone.now()


def _set_policy(period: str, duration: int) -> None:
    cdr_policy_update(
        policy=models.CdrPolicy.current(), period=period, duration=duration, changed_by="admin"
    )


def _calls(now, *, days_ago: float, call_types=(CALL, TRANSFER, THREE_WAY, CONFERENCE)) -> set:
    date = now - timedelta(days=days_ago)
    return {make_call_detail_record(call_date=date, call_type=kind).pk for kind in call_types}


def _remaining_cdrs() -> set:
    return set(models.CallDetailRecord.objects.values_list("pk", flat=True))


def _cdr_record(call_type: str) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "call_date": "2026-11-24T09:15:00+01:00",
        "caller_number": "+390612340001",
        "callee_number": "+390612340002",
        "total_duration": 95,
        "call_duration": 80,
        "disposition": "ANSWERED",
        "hangup_cause": "NORMAL_CLEARING",
        "call_id": "1732440900.17",
        "call_type": call_type,
    }


@pytest.mark.parametrize(
    ("period", "duration", "kept_days", "purged_days"),
    [
        ("DAY", 10, 9.9, 10.1),
        ("WEEK", 2, 13.9, 14.1),
        ("MONTH", 1, 29.9, 30.1),  # a month is 30 days
        ("YEAR", 1, 364.9, 365.1),  # a year is 365 days
    ],
)
def test_it_purges_direct_calls_older_than_the_policy_keeps(
    now, period, duration, kept_days, purged_days
):
    _set_policy(period, duration)
    recent = _calls(now, days_ago=kept_days)
    old_direct = _calls(now, days_ago=purged_days, call_types=(CALL, TRANSFER))
    old_conferences = _calls(now, days_ago=purged_days, call_types=(THREE_WAY, CONFERENCE))

    result = purge_logs(now=now)

    assert result.deleted["cdr"] == len(old_direct) == 2
    assert _remaining_cdrs() == recent | old_conferences


def test_no_cdr_stops_recording_direct_calls_and_purges_those_kept(now):
    _calls(now, days_ago=1)  # one call of each type, recorded before
    _set_policy("DAY", 0)

    ingested = ingest_records(
        log="cdr", records=[_cdr_record(kind) for kind in ("CALL", "TRANSFER", "3-WAY")]
    )
    result = purge_logs(now=now)

    assert (ingested.accepted, ingested.discarded) == (1, 2)
    assert result.deleted["cdr"] == 2  # the CALL and the TRANSFER recorded before
    remaining = models.CallDetailRecord.objects.values_list("call_type", flat=True)
    assert sorted(remaining) == sorted([THREE_WAY, THREE_WAY, CONFERENCE])


def test_direct_calls_are_recorded_again_once_no_cdr_is_lifted(now):
    _set_policy("DAY", 0)
    _set_policy("WEEK", 1)

    ingested = ingest_records(log="cdr", records=[_cdr_record("CALL")])

    assert (ingested.accepted, ingested.discarded) == (1, 0)


def test_it_deletes_in_bounded_batches(now):
    _set_policy("DAY", 1)
    old = {make_call_detail_record(call_date=now - timedelta(days=5 + n)).pk for n in range(5)}
    recent = _calls(now, days_ago=0.5, call_types=(CALL,))

    with CaptureQueriesContext(connection) as queries:
        result = purge_logs(now=now, batch_size=2)

    deletes = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('DELETE FROM "logging_app_calldetailrecord"')
    ]
    assert len(deletes) == 3  # 2 + 2 + 1 rows
    assert result.deleted["cdr"] == len(old)
    assert _remaining_cdrs() == recent


def test_each_batch_starts_where_the_last_ended_ties_on_time_included(now):
    _set_policy("DAY", 1)
    moment = now - timedelta(days=3)
    # Five calls at the same instant straddle the batches of 2.
    tied = {make_call_detail_record(call_date=moment).pk for _ in range(5)}
    older = {make_call_detail_record(call_date=moment - timedelta(hours=1)).pk for _ in range(2)}
    recent = _calls(now, days_ago=0.5, call_types=(CALL,))

    with CaptureQueriesContext(connection) as queries:
        result = purge_logs(now=now, batch_size=2)

    assert result.deleted["cdr"] == len(tied | older)
    assert _remaining_cdrs() == recent
    # After the first batch, each batch is read from the last one's position onwards.
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "logging_app_calldetailrecord"."call_date"')
    ]
    assert len(reads) == 5  # 2 + 2 + 2 + 1 rows, then none
    assert all('"logging_app_calldetailrecord"."id" >' in sql for sql in reads[1:])


def test_it_keeps_security_events_rewritten_from_purged_calls(now):
    _set_policy("DAY", 0)
    _set_policy("DAY", 1)
    failed_call = {
        "hangup_cause": "BEARERCAPABILITY_NOTAVAIL",
        "call_date": (now - timedelta(days=2)).isoformat(),
    }
    ingest_records(log="cdr", records=[_cdr_record("CALL") | failed_call])
    event = models.SecurityEvent.objects.get(signature_id="CDR-400")

    purge_logs(now=now)

    assert not models.CallDetailRecord.objects.exists()
    event.refresh_from_db()
    assert event.source_id is not None
    assert models.SiemOutbox.objects.filter(security_event=event).exists()


def test_it_keeps_every_call_under_a_policy_longer_than_the_calendar(now):
    models.CdrPolicy.objects.update_or_create(id=1, defaults={"period": "YEAR", "duration": 10**7})
    kept = _calls(now, days_ago=3650)

    assert purge_logs(now=now).deleted["cdr"] == 0
    assert _remaining_cdrs() == kept


def test_it_purges_each_log_after_its_retention(now, settings):
    settings.RETENTION_DAYS = {"system": 30, "web-sessions": 0, "cdr": 100}
    make_system_event(timestamp=now - timedelta(days=31))
    new_system = make_system_event(timestamp=now - timedelta(days=29))
    old_web = make_web_session_event(date_created=now - timedelta(days=3650))
    _set_policy("YEAR", 5)
    old_conference = _calls(now, days_ago=101, call_types=(CONFERENCE,))
    new_conference = _calls(now, days_ago=99, call_types=(CONFERENCE,))

    result = purge_logs(now=now)

    assert result.deleted == {"cdr": 1, "system": 1}
    assert list(models.SystemEvent.objects.all()) == [new_system]
    assert models.WebSessionEvent.objects.get() == old_web  # 0: kept forever
    assert _remaining_cdrs() == new_conference
    assert old_conference.isdisjoint(_remaining_cdrs())
    assert str(result) == "purge_logs: 1 cdr, 1 system rows deleted"


def test_security_retention_takes_the_outbox_rows_along(now, settings):
    settings.RETENTION_DAYS = {"security": 90}
    old = make_security_event(timestamp=now - timedelta(days=91))
    new = make_security_event(timestamp=now - timedelta(days=89))
    models.SiemOutbox.objects.bulk_create(
        [models.SiemOutbox(security_event=old), models.SiemOutbox(security_event=new)]
    )

    assert purge_logs(now=now).deleted["security"] == 1
    assert list(models.SecurityEvent.objects.all()) == [new]
    assert list(models.SiemOutbox.objects.values_list("security_event", flat=True)) == [new.pk]


def test_it_does_nothing_more_when_run_again(now, settings):
    settings.RETENTION_DAYS = {"system": 1}
    _set_policy("DAY", 1)
    _calls(now, days_ago=2)
    make_system_event(timestamp=now - timedelta(days=2))
    purge_logs(now=now)

    again = purge_logs(now=now)

    assert not again.changed
    assert str(again) == "purge_logs: nothing due"


def test_the_command_prints_what_it_did(capsys):
    _set_policy("DAY", 0)
    _calls(timezone.now(), days_ago=0, call_types=(CALL, CONFERENCE))

    call_command("purge_logs", "--batch-size", "10")

    assert capsys.readouterr().out == "purge_logs: 1 cdr rows deleted\n"
