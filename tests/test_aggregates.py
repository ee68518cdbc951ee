"""Each account's calls per day, kept as CDRs arrive: always what a direct count says."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q

from logging_app import models
from logging_app.aggregates import WINDOWS, call_windows, forget_calls
from logging_app.ingest import ingest_records
from logging_app.jobs import purge_logs
from tests.factories import cdr_report
from tests.test_figures import _stored

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 14, 37, 12, tzinfo=UTC)
TODAY = datetime(2026, 11, 26, tzinfo=UTC)
OUTCOMES = [
    ("ANSWERED", "NORMAL_CLEARING"),
    ("BUSY", "USER_BUSY"),
    ("FAILED", "BEARERCAPABILITY_NOTAVAIL"),
    ("NO_ANSWER", "NO_ANSWER"),
    ("CANCEL", "NORMAL_CLEARING"),
]
NUMBERS = ["+390600000001", "+390600000002", "+390600000003", "+390699999999"]  # the last: nobody's


def _accounts() -> list[models.Account]:
    records = [
        {"username": f"user{n}", "virtual_number": number}
        for n, number in enumerate(NUMBERS[:3], start=1)
    ]
    ingest_records(log="accounts", records=records)
    return list(models.Account.objects.order_by("username"))


def _calls(count: int, *, seed: int = 1, days: int = 40) -> list[dict]:
    """CDRs between the accounts (and an outside number) over the `days` before NOW, a few
    after it (a clock ahead), and some exactly on window edges."""
    rng = random.Random(seed)
    moments = [NOW - timedelta(seconds=rng.randrange(days * 86400)) for _ in range(count)]
    moments += [NOW, NOW + timedelta(minutes=5), NOW + timedelta(days=2)]  # a clock ahead
    moments += [TODAY - timedelta(days=days - 1) for _, days in WINDOWS]
    moments += [TODAY - timedelta(days=days - 1, microseconds=1) for _, days in WINDOWS]
    calls = []
    for moment in moments:
        disposition, cause = rng.choice(OUTCOMES)
        duration = rng.randrange(1, 900) if disposition == "ANSWERED" else 0
        calls.append(
            cdr_report(
                call_date=moment.isoformat(),
                caller_number=rng.choice(NUMBERS),
                callee_number=rng.choice(NUMBERS),
                disposition=disposition,
                hangup_cause=cause,
                call_duration=duration,
                total_duration=duration + 10,
            )
        )
    return calls


def _direct(account: models.Account, since: datetime) -> dict:
    """The window's figures counted over the CDR rows themselves: every call since its
    start, as the CDR list with that `since` shows them."""
    rows = models.CallDetailRecord.objects.filter(call_date__gte=since)
    made = rows.filter(caller_account=account)
    received = rows.filter(callee_account=account)
    answered = Q(disposition="ANSWERED")
    causes = Counter(made.values_list("hangup_cause", flat=True))
    causes.update(received.values_list("hangup_cause", flat=True))
    durations = [
        *made.filter(answered).values_list("call_duration", flat=True),
        *received.filter(answered).values_list("call_duration", flat=True),
    ]
    return {
        "made": made.count(),
        "received": received.count(),
        "answered": len(durations),
        "answered_duration": sum(durations),
        "causes": {cause: count for cause, count in causes.items() if count},
    }


def _kept(account: models.Account, window) -> dict:
    return {
        "made": window.made,
        "received": window.received,
        "answered": window.answered,
        "answered_duration": window.answered_duration,
        "causes": {cause: count for cause, count in window.by_cause.items() if count},
    }


def _assert_exact(accounts: list[models.Account]) -> None:
    for account in accounts:
        for window in call_windows(account.pk, NOW):
            assert _kept(account, window) == _direct(account, window.since), (account, window)


def test_the_figures_equal_a_direct_count_after_ingest_and_replays():
    accounts = _accounts()
    calls = _calls(300)
    ingest_records(log="cdr", records=calls[:200])
    ingest_records(log="cdr", records=calls[100:])  # half of it a replay
    ingest_records(log="cdr", records=calls)  # all of it

    _assert_exact(accounts)
    assert models.CallDetailRecord.objects.count() == len(calls)


def test_the_figures_follow_a_purge():
    accounts = _accounts()
    ingest_records(log="cdr", records=_calls(300, seed=2))
    models.CdrPolicy.objects.update_or_create(
        pk=models.CdrPolicy.SINGLETON_ID,
        defaults={"duration": 10, "period": models.CdrPeriod.DAY},
    )

    result = purge_logs(now=NOW, batch_size=17)

    assert result.deleted["cdr"] > 0
    _assert_exact(accounts)


def test_a_purged_day_leaves_no_figure_behind(settings):
    _accounts()
    ingest_records(log="cdr", records=_calls(100, seed=6))
    assert models.AccountCallDay.objects.exists()
    settings.RETENTION_DAYS = {"cdr": 1}

    purge_logs(now=NOW + timedelta(days=30), batch_size=7)

    assert not models.CallDetailRecord.objects.exists()
    assert not models.AccountCallDay.objects.exists()


# Days forgotten (a partition dropped): a Wednesday to a Friday of one week, a Wednesday to
# the Tuesday two weeks on, whole weeks, and ranges open at either end.
WEDNESDAY = datetime(2026, 11, 4, tzinfo=UTC)
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (WEDNESDAY, WEDNESDAY + timedelta(days=2)),
        (WEDNESDAY, WEDNESDAY + timedelta(days=13)),
        (MONDAY, MONDAY + timedelta(weeks=2)),
        (None, WEDNESDAY),
        (WEDNESDAY, None),
        (None, None),
    ],
)
def test_forgetting_days_leaves_what_the_rows_left_count(start, end):
    _accounts()
    ingest_records(log="cdr", records=_calls(400, seed=9, days=35))
    days = Q()
    if start:
        days &= Q(call_date__gte=start)
    if end:
        days &= Q(call_date__lt=end)

    forget_calls(start, end)
    models.CallDetailRecord.objects.filter(days).delete()  # the rows the figures lost

    calls = ("days", "totals", "weeks")  # the hours are not the account's figures
    kept = {table: rows for table, rows in _stored().items() if table in calls}
    call_command("rebuild_aggregates")
    assert {table: rows for table, rows in _stored().items() if table in calls} == kept


def test_rows_linked_when_their_account_arrives_are_counted():
    calls = _calls(120, seed=3)
    ingest_records(log="cdr", records=calls)
    assert not models.AccountCallDay.objects.exists()

    accounts = _accounts()

    _assert_exact(accounts)
    assert models.AccountCallDay.objects.exists()


def test_deleting_an_account_deletes_its_figures():
    accounts = _accounts()
    ingest_records(log="cdr", records=_calls(100, seed=4))

    accounts[0].delete()

    assert not models.AccountCallDay.objects.filter(account_id=accounts[0].pk).exists()
    _assert_exact(accounts[1:])


def test_rebuilding_writes_what_ingest_kept(capsys):
    _accounts()
    ingest_records(log="cdr", records=_calls(200, seed=5))
    kept = sorted(models.AccountCallDay.objects.values_list(*_COLUMNS))
    totals = sorted(models.AccountCallTotal.objects.values_list())
    weeks = sorted(models.AccountCallWeek.objects.values_list())

    call_command("rebuild_aggregates")

    assert sorted(models.AccountCallDay.objects.values_list(*_COLUMNS)) == kept
    assert sorted(models.AccountCallTotal.objects.values_list()) == totals
    assert weeks and sorted(models.AccountCallWeek.objects.values_list()) == weeks
    # The call days, their day totals (one row per account and day) and week totals.
    written = len(kept) + len(totals) + len(weeks)
    assert f"cdr: calls per account and day: {written} rows" in capsys.readouterr().out


_COLUMNS = (
    "account_id",
    "day",
    "disposition",
    "hangup_cause",
    "made",
    "received",
    "made_duration",
    "received_duration",
)


def test_days_are_utc_days_whatever_the_zone_of_the_report():
    (alice, *_) = _accounts()
    # 23:30 in New York on the 24th is 04:30 UTC on the 25th.
    ingest_records(
        log="cdr",
        records=[cdr_report(call_date="2026-11-24T23:30:00-05:00", caller_number=NUMBERS[0])],
    )

    (day,) = models.AccountCallDay.objects.filter(account=alice).values_list("day", flat=True)
    assert str(day) == "2026-11-25"


def test_the_windows_are_whole_utc_days_up_to_now():
    (alice, *_) = _accounts()
    ingest_records(
        log="cdr",
        records=[
            cdr_report(call_date=moment.isoformat(), caller_number=NUMBERS[0])
            for moment in (
                TODAY,  # today's first call
                TODAY - timedelta(microseconds=1),  # yesterday's last
                TODAY - timedelta(days=6),  # the first day of the 7
                TODAY - timedelta(days=6, microseconds=1),
                TODAY - timedelta(days=29),
                TODAY - timedelta(days=29, microseconds=1),
            )
        ],
    )

    today, week, month = call_windows(alice.pk, NOW)

    assert (today.since, week.since, month.since) == (
        TODAY,
        TODAY - timedelta(days=6),
        TODAY - timedelta(days=29),
    )
    assert (today.made, week.made, month.made) == (1, 3, 5)
