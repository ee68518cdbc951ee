"""The statistics page: calls grouped over a range, read from the figures kept as CDRs
arrive, always what a direct count over the CDR rows says."""

import csv
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

from logging_app import models
from logging_app.ingest import ingest_records
from logging_app.jobs import purge_logs
from logging_app.listing.filters import filterset_for
from logging_app.logs import LOGS
from logging_app.templatetags.console import local_time
from tests.factories import cdr_report
from tests.page import errors, parse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 14, 37, 12, tzinfo=UTC)
OUTCOMES = [
    ("ANSWERED", "NORMAL_CLEARING"),
    ("BUSY", "USER_BUSY"),
    ("FAILED", "BEARERCAPABILITY_NOTAVAIL"),
    ("NO_ANSWER", "NO_ANSWER"),
    ("CANCEL", "NORMAL_CLEARING"),
]
NUMBERS = ["+390600000001", "+390600000002", "+390600000003", "+390699999999"]
GROUPS = ["", "sales", "support", "sales"]
ROUTES = ["", "", "trunk-a", "trunk-b"]
# A zone east of UTC, one west, and one half an hour off (docs/statistics.md).
ZONES = ["Asia/Tokyo", "America/New_York", "UTC"]
# Range asked: whole hours either side, as the quick ranges are not.
SINCE, UNTIL = NOW - timedelta(days=9, minutes=37), NOW


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    yield
    timezone.deactivate()


def _accounts() -> None:
    records = [
        {"username": f"user{n}", "virtual_number": number}
        for n, number in enumerate(NUMBERS[:3], start=1)
    ]
    ingest_records(log="accounts", records=records)


def _calls(count: int, *, seed: int = 1, days: int = 12, to_self: bool = True) -> list[dict]:
    """CDRs over the `days` before NOW between the accounts and an outside number (and
    calls to oneself unless not `to_self`)."""
    rng = random.Random(seed)
    calls = []
    for _ in range(count):
        moment = NOW - timedelta(seconds=rng.randrange(days * 86400))
        disposition, cause = rng.choice(OUTCOMES)
        duration = rng.randrange(1, 900) if disposition == "ANSWERED" else 0
        caller, callee = rng.sample(NUMBERS, 2) if not to_self else rng.choices(NUMBERS, k=2)
        calls.append(
            cdr_report(
                call_date=moment.isoformat(),
                caller_number=caller,
                callee_number=callee,
                caller_group=rng.choice(GROUPS),
                callee_group=rng.choice(GROUPS),
                call_route=rng.choice(ROUTES),
                disposition=disposition,
                hangup_cause=cause,
                call_duration=duration,
                total_duration=duration + 10,
            )
        )
    return calls


def _keys(cdr: models.CallDetailRecord, by: str, zone) -> set[str] | list[str]:
    """The rows of the page `cdr` is counted in, by their label."""
    if by == "day":
        return {f"{cdr.call_date.astimezone(zone):%a %Y-%m-%d}"}
    if by == "hour":
        hour = cdr.call_date.replace(minute=0, second=0, microsecond=0)
        return {local_time(hour, zone)}
    if by == "group":
        return ({cdr.caller_group, cdr.callee_group} - {""}) or {"(none)"}
    if by == "route":
        return {cdr.call_route or "(none)"}
    if by == "account":  # made and received: a call to oneself is both
        accounts = [cdr.caller_account, cdr.callee_account]
        return [account.username for account in accounts if account is not None]
    return {getattr(cdr, by)}


def _direct(by: str, start: datetime, end: datetime, zone) -> dict[str, list[int]]:
    """Calls, answered and answered call duration per row, counted over the CDR rows."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = models.CallDetailRecord.objects.filter(call_date__gte=start, call_date__lt=end)
    for cdr in rows.select_related("caller_account", "callee_account"):
        answered = cdr.disposition == "ANSWERED"
        for key in _keys(cdr, by, zone):
            counts[key][0] += 1
            counts[key][1] += answered
            counts[key][2] += cdr.call_duration if answered else 0
    return dict(counts)


def _exported(client, by: str, **params) -> dict[str, list[int]]:
    query = {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "by": by, **params}
    response = client.get("/statistics/", {**query, "export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(StringIO(response.content.decode())))[1:]
    return {label: [int(calls), int(answered)] for label, calls, answered, *_ in rows}


def _counted_range(by: str) -> tuple[datetime, datetime]:
    """The range the page counts for SINCE–UNTIL: whole UTC hours, whole UTC days by account."""
    if by == "account":
        return SINCE.replace(hour=0, minute=0, second=0), NOW.replace(
            hour=0, minute=0, second=0
        ) + timedelta(days=1)
    return SINCE.replace(minute=0, second=0), NOW.replace(minute=0, second=0) + timedelta(hours=1)


def _assert_exact(client, by: str, zone) -> None:
    direct = _direct(by, *_counted_range(by), zone)
    assert _exported(client, by) == {key: counts[:2] for key, counts in direct.items()}


BYS = ["account", "group", "route", "hangup_cause", "disposition", "day", "hour"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("by", BYS)
def test_it_equals_a_direct_count_over_the_rows(admin_client, settings, by, zone):
    settings.TIME_ZONE = zone
    _accounts()
    ingest_records(log="cdr", records=_calls(300))

    _assert_exact(admin_client, by, ZoneInfo(zone))


@pytest.mark.parametrize("by", BYS)
def test_it_stays_exact_under_replays_linking_and_purges(admin_client, settings, by):
    settings.TIME_ZONE = "America/New_York"
    calls = _calls(300, seed=2)
    ingest_records(log="cdr", records=calls[:200])
    ingest_records(log="cdr", records=calls[100:])  # half of them a replay
    _accounts()  # the calls stored before their accounts are linked now
    settings.RETENTION_DAYS = {"cdr": 5}
    purge_logs(now=NOW)

    _assert_exact(admin_client, by, ZoneInfo("America/New_York"))


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_a_month_by_account_equals_a_direct_count(admin_client, settings, zone):
    # Whole weeks read from the week totals, the days around them from the day totals,
    # after a purge that cut a week in two.
    settings.TIME_ZONE = zone
    _accounts()
    ingest_records(log="cdr", records=_calls(400, seed=6, days=45))
    settings.RETENTION_DAYS = {"cdr": 33}
    purge_logs(now=NOW)
    since = NOW - timedelta(days=31)

    exported = _exported(admin_client, "account", since=since.isoformat())

    first = since.replace(hour=0, minute=0, second=0)
    last = NOW.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    direct = _direct("account", first, last, ZoneInfo(zone))
    assert exported and exported == {key: counts[:2] for key, counts in direct.items()}
    assert models.AccountCallWeek.objects.filter(week__gt=first.date()).count() >= 4


def test_it_links_each_row_to_exactly_the_calls_it_counts(admin_client):
    _accounts()
    # A call to oneself is on the account's row twice, made and received, and listed once.
    ingest_records(log="cdr", records=_calls(200, seed=3, to_self=False))
    spec = LOGS["cdr"]
    for by in BYS:
        response = admin_client.get("/statistics/", {"since": SINCE.isoformat(), "by": by})
        table = parse(response).find("table", cls="statistics")
        links = [a for a in table.find_all("a") if "aria-label" in a.attrs]
        assert links
        for link in links:
            url = urlsplit(link.attrs["href"])
            assert url.path == "/logging/cdr/"
            filterset = filterset_for(spec)(
                QueryDict(url.query),
                queryset=spec.model.objects.all(),
                request=RequestFactory().get("/"),
            )
            assert filterset.is_valid(), filterset.errors
            calls = int(link.text)
            assert filterset.qs.count() == calls, (by, link.attrs["href"])


def test_it_sorts_by_a_column_either_way(admin_client):
    ingest_records(log="cdr", records=_calls(200, seed=4))

    def calls(sort: str) -> list[int]:
        query = {"by": "hangup_cause", "sort": sort, "export": "csv"}
        rows = csv.reader(StringIO(admin_client.get("/statistics/", query).content.decode()))
        return [int(row[1]) for row in list(rows)[1:]]

    assert calls("-calls") == sorted(calls("-calls"), reverse=True)
    assert calls("calls") == sorted(calls("-calls"))
    assert len(set(calls("calls"))) > 1


def test_it_draws_the_days_as_a_chart(admin_client):
    ingest_records(log="cdr", records=_calls(50, seed=5))

    page = parse(admin_client.get("/statistics/", {"by": "day", "range": "7d"}))

    assert page.find("figure", id="chart-calls") is not None


@pytest.mark.parametrize(
    "query",
    [
        {"by": "weekday"},
        {"since": "yesterday"},
        {"since": "2026-11-26T10:00", "until": "2026-11-25T10:00"},
        {"range": "7d", "since": "2026-11-20T10:00"},
        {"sort": "-name"},
        {"export": "pdf"},
        {"page": "0"},
        {"page": "next"},
    ],
)
def test_it_answers_a_bad_parameter_with_a_form_error(admin_client, query):
    response = admin_client.get("/statistics/", query)

    assert response.status_code == 400
    assert errors(response)


@pytest.mark.parametrize("since", ["0001-01-01T00:00", "9999-12-31T23:59:59"])
def test_it_counts_at_the_ends_of_the_calendar(admin_client, since):
    response = admin_client.get("/statistics/", {"since": since, "until": "9999-12-31T23:59:59"})

    assert response.status_code == 200


def test_support_may_read_it(support_client):
    response = support_client.get("/statistics/")

    assert response.status_code == 200
    assert parse(response).find("nav", cls="menu").find("a", href="/statistics/") is not None


def test_the_menu_marks_the_statistics_as_the_page_shown(admin_client):
    menu = parse(admin_client.get("/statistics/")).find("nav", cls="menu")

    current = [a.text for a in menu.find_all("a") if a.attrs.get("aria-current") == "page"]
    assert current == ["Calls"]


def test_it_needs_the_permission_to_view_calls(no_perm_client):
    assert no_perm_client.get("/statistics/").status_code == 403


def test_it_needs_a_signed_in_user(client):
    response = client.get("/statistics/")

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_it_shows_the_top_accounts_a_page_at_a_time(admin_client):
    accounts = [{"username": f"acct{n:03d}", "virtual_number": f"+3907{n:05d}"} for n in range(70)]
    ingest_records(log="accounts", records=accounts)
    # Account n makes n + 1 calls: the order by calls is known, with no ties.
    calls = [
        cdr_report(
            call_date=(NOW - timedelta(hours=1 + k)).isoformat(),
            caller_number=f"+3907{n:05d}",
            callee_number="+390699999999",
        )
        for n in range(70)
        for k in range(n + 1)
    ]
    ingest_records(log="cdr", records=calls)
    query = {"range": "7d", "by": "account"}

    first = parse(admin_client.get("/statistics/", query))
    second_url = first.find("a", rel="next").attrs["href"]
    second = parse(admin_client.get("/statistics/" + second_url))

    def names(page) -> list[str]:
        return [th.text for th in page.find("table", cls="statistics").find_all("th", scope="row")]

    assert "The top 50 of 70 accounts" in first.find("p", id="rows-shown").text
    assert "51 to 70 of 70 accounts" in second.find("p", id="rows-shown").text
    assert names(first) + names(second) == [f"acct{n:03d}" for n in reversed(range(70))]
    assert not second.find_all("a", rel="next") and second.find_all("a", rel="prev")
    assert "page=" not in first.find("p", cls="exports").find("a").attrs["href"]
    # A page past the last shows the last; a new sort starts at the top.
    past = parse(admin_client.get("/statistics/", {**query, "page": 9}))
    assert names(past) == names(second)
    sort_link = second.find("table", cls="statistics").find("thead").find("a")
    assert "page=" not in sort_link.attrs["href"]
