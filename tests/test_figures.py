"""The logs' hours and the calls' hours, kept as rows are stored, merged, expired and
purged: always what a direct count over the rows says, and what a rebuild writes."""

import importlib
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from logging_app import models, selectors
from logging_app.ingest import ingest_records
from logging_app.jobs import expire_secure_messages, purge_logs
from logging_app.logs import LOGS
from tests.factories import cdr_report, secure_message_report

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 14, 37, 12, tzinfo=UTC)
STATUSES = ["ENQUEUED", "DELIVERED", "INVALID_RECIPIENT"]


def _stored() -> dict[str, set]:
    """Every figure row, as a set per table: what a rebuild must write again."""
    return {
        "hours": set(models.LogHour.objects.values_list("log", "hour", "field", "value", "rows")),
        "calls": set(models.CallHour.objects.values_list()),
        "days": set(models.AccountCallDay.objects.values_list()),
        "totals": set(models.AccountCallTotal.objects.values_list()),
        "weeks": set(models.AccountCallWeek.objects.values_list()),
    }


def _messages(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [
        secure_message_report(
            received=(NOW - timedelta(seconds=rng.randrange(6 * 86400))).isoformat(),
            status=rng.choice(STATUSES),
        )
        for _ in range(count)
    ]


def _direct_statuses(zone) -> Counter:
    """Secure messages per day in `zone` and status, counted over the rows."""
    rows = models.SecureMessage.objects.annotate(day=TruncDate("received", tzinfo=zone))
    counted = rows.values("day", "status").annotate(n=Count("pk")).order_by()
    return Counter({(row["day"], row["status"]): row["n"] for row in counted})


def _from_figures(zone) -> Counter:
    with timezone.override(zone):
        counts = selectors.daily_counts(
            log=LOGS["secure-messages"],
            field="status",
            values=models.SecureMessageStatus.values,
            start=NOW - timedelta(days=30),
            end=NOW + timedelta(days=30),
        )
    return Counter({key: count for key, count in counts.items() if count})


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_merged_and_expired_messages_move_between_statuses(zone):
    zone = ZoneInfo(zone)
    messages = _messages(120)
    ingest_records(log="secure-messages", records=messages)
    enqueued = [m for m in messages if m["status"] == "ENQUEUED"]
    # Later reports: delivered, then again (a replay), one of them in the batch twice.
    delivered = [m | {"status": "DELIVERED"} for m in enqueued[: len(enqueued) // 2]]
    ingest_records(log="secure-messages", records=delivered + delivered[:1])
    ingest_records(log="secure-messages", records=delivered)
    expire_secure_messages(now=NOW)

    assert models.SecureMessage.objects.filter(status="EXPIRED").exists()
    assert _from_figures(zone) == _direct_statuses(zone)


def test_purged_rows_leave_the_figures(settings):
    ingest_records(log="secure-messages", records=_messages(80, seed=2))
    settings.RETENTION_DAYS = {"secure-messages": 3}

    purge_logs(now=NOW)

    assert models.SecureMessage.objects.exists()
    assert _from_figures(UTC) == _direct_statuses(UTC)
    oldest = models.LogHour.objects.filter(log="secure-messages").earliest("hour").hour
    assert oldest >= (NOW - timedelta(days=3)).replace(minute=0, second=0)


def test_a_rebuild_writes_the_same_figures():
    ingest_records(log="accounts", records=[{"username": "u1", "virtual_number": "+3901"}])
    rng = random.Random(3)
    calls = [
        cdr_report(
            call_date=(NOW - timedelta(seconds=rng.randrange(5 * 86400))).isoformat(),
            caller_number=rng.choice(["+3901", "+3902"]),
            caller_group=rng.choice(["", "a", "b"]),
            callee_group=rng.choice(["", "a"]),
            call_route=rng.choice(["", "trunk"]),
        )
        for _ in range(150)
    ]
    ingest_records(log="cdr", records=calls)
    ingest_records(log="secure-messages", records=_messages(50, seed=4))
    ingest_records(
        log="secure-messages", records=[m | {"status": "DELIVERED"} for m in _messages(50, seed=4)]
    )
    kept = _stored()

    call_command("rebuild_aggregates")

    assert _stored() == kept
    assert kept["hours"] and kept["calls"] and kept["days"] and kept["totals"]
    assert models.LogHour.objects.filter(log="security").exists()  # rewritten from CDRs


def _direct_totals() -> set[tuple]:
    """Each account's calls made and received per UTC day, counted over the CDR rows:
    (account, day, calls, answered, answered call duration)."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for cdr in models.CallDetailRecord.objects.all():
        answered = cdr.disposition == "ANSWERED"
        for account in (cdr.caller_account_id, cdr.callee_account_id):
            if account is not None:
                counts = totals[account, cdr.call_date.astimezone(UTC).date()]
                counts[0] += 1
                counts[1] += answered
                counts[2] += cdr.call_duration if answered else 0
    return {(*key, *counts) for key, counts in totals.items()}


def _direct_weeks() -> set[tuple]:
    """The same per UTC week (from Monday): (account, Monday, calls, answered, duration)."""
    weeks: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for account, day, *counts in _direct_totals():
        summed = weeks[account, day - timedelta(days=day.weekday())]
        for index, number in enumerate(counts):
            summed[index] += number
    return {(*key, *counts) for key, counts in weeks.items()}


def _calls_between(numbers: list[str], count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    calls = []
    for _ in range(count):
        disposition = rng.choice(["ANSWERED", "BUSY", "NO_ANSWER"])
        duration = rng.randrange(1, 600) if disposition == "ANSWERED" else 0
        calls.append(
            cdr_report(
                call_date=(NOW - timedelta(seconds=rng.randrange(8 * 86400))).isoformat(),
                caller_number=rng.choice(numbers),
                callee_number=rng.choice(numbers),
                disposition=disposition,
                call_duration=duration,
                total_duration=duration + 5,
            )
        )
    return calls


def test_each_accounts_day_totals_are_a_direct_count(settings):
    numbers = ["+3901", "+3902", "+3999"]
    calls = _calls_between(numbers, 200, seed=5)
    ingest_records(log="cdr", records=calls[:150])
    ingest_records(log="cdr", records=calls[50:])  # a third of them a replay
    accounts = [
        {"username": f"u{n}", "virtual_number": number} for n, number in enumerate(numbers[:2])
    ]
    ingest_records(log="accounts", records=accounts)  # linked after the calls were stored
    settings.RETENTION_DAYS = {"cdr": 4}
    purge_logs(now=NOW)

    stored = set(models.AccountCallTotal.objects.values_list())
    assert stored and stored == _direct_totals()
    weeks = set(models.AccountCallWeek.objects.values_list())
    assert len(weeks) < len(stored) and weeks == _direct_weeks()
    models.Account.objects.filter(username="u0").delete()
    assert set(models.AccountCallTotal.objects.values_list()) == _direct_totals()
    assert set(models.AccountCallWeek.objects.values_list()) == _direct_weeks()


def test_the_migration_totals_the_call_days_stored_before_it():
    ingest_records(log="accounts", records=[{"username": "u1", "virtual_number": "+3901"}])
    ingest_records(log="cdr", records=_calls_between(["+3901", "+3999"], 60, seed=6))
    kept = set(models.AccountCallTotal.objects.values_list())
    models.AccountCallTotal.objects.all().delete()
    migration = importlib.import_module("logging_app.migrations.0014_account_call_totals")

    migration.total_stored_call_days(django_apps, SimpleNamespace(connection=connection))

    assert kept and set(models.AccountCallTotal.objects.values_list()) == kept


def test_the_migration_totals_the_call_weeks_stored_before_it():
    ingest_records(log="accounts", records=[{"username": "u1", "virtual_number": "+3901"}])
    ingest_records(log="cdr", records=_calls_between(["+3901", "+3999"], 60, seed=7))
    kept = set(models.AccountCallWeek.objects.values_list())
    models.AccountCallWeek.objects.all().delete()
    migration = importlib.import_module("logging_app.migrations.0016_account_call_weeks")

    migration.total_stored_call_weeks(django_apps, SimpleNamespace(connection=connection))

    assert kept and set(models.AccountCallWeek.objects.values_list()) == kept
