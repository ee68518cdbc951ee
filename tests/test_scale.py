"""What keeps the list pages fast on large logs: capped counts, estimates, keyset cursors."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logging_app import models, selectors
from logging_app.logs import LOGS
from tests.factories import make_account, make_call_detail_record, make_system_event
from tests.test_views_log_list import MAX_QUERIES_PER_LIST

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
URL = f"/logging/{LOGS['cdr'].slug}/"

pytestmark = pytest.mark.django_db


def test_it_counts_exactly_up_to_the_cap():
    for _ in range(3):
        make_system_event()

    count = selectors.log_count(models.SystemEvent.objects.all(), cap=3)

    assert str(count) == "3 records"


def test_it_says_more_than_the_cap_past_it():
    for _ in range(4):
        make_system_event()

    with CaptureQueriesContext(connection) as queries:
        count = selectors.log_count(models.SystemEvent.objects.all(), cap=3)

    assert str(count) == "more than 3 records"
    assert all("LIMIT 4" in q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"])


def test_it_takes_the_planners_estimate_of_an_unfiltered_table():
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    for _ in range(5):
        make_system_event()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE logging_app_systemevent")

    with CaptureQueriesContext(connection) as queries:
        count = selectors.log_count(models.SystemEvent.objects.all(), cap=2)
        filtered = selectors.log_count(models.SystemEvent.objects.filter(level="INFO"), cap=2)

    assert str(count) == "about 0 records"  # 5, rounded to thousands
    assert count.estimate
    assert str(filtered) == "more than 2 records"
    assert not [
        q for q in queries.captured_queries if "COUNT(" in q["sql"] and "LIMIT" not in q["sql"]
    ]


def test_it_writes_a_readable_cursor_and_reads_it_back():
    cursor = selectors.Cursor(datetime(2026, 11, 24, 9, 0, 0, 250000, tzinfo=UTC), 42)

    assert str(cursor) == "2026-11-24T09:00:00.250000Z_42"
    assert selectors.Cursor.parse(str(cursor)) == cursor


@pytest.mark.parametrize(
    "query",
    [{}, {"account": "alice"}, {"since": "2026-11-24T08:00:00", "disposition": "BUSY"}],
    ids=["unfiltered", "account", "date-and-disposition"],
)
def test_it_never_counts_a_whole_log_on_a_list_page(
    admin_client, query, django_assert_max_num_queries
):
    alice = make_account(username="alice")
    for minute in range(60):
        make_call_detail_record(
            call_date=T0 - timedelta(minutes=minute), caller_account=alice, disposition="BUSY"
        )

    cursor = selectors.Cursor(T0 - timedelta(minutes=30), 0)

    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST) as first_queries:
        first = admin_client.get(URL, query)
    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST) as older_queries:
        older = admin_client.get(URL, query | {"before": str(cursor)})

    assert first.status_code == older.status_code == 200
    queries = first_queries.captured_queries + older_queries.captured_queries
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # Unfiltered on PostgreSQL: the estimate, once analysed. By account: each branch's
    # first ids (LIMITed), counted once each.
    assert counts or query == {} or "account" in query
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_a_page_past_the_time_limit_is_stopped_and_says_how_to_narrow_it(admin_client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the time limit is PostgreSQL's statement timeout")
    monkeypatch.setattr(selectors, "PAGE_TIME_LIMIT_SECONDS", 0.2)

    # Another session holds the table: the page's query waits, as it would reading
    # millions of rows for a rare word.
    with _locked_by_another_session(models.CallDetailRecord):
        response = admin_client.get(URL, {"q": "Zoe"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "ran for more than 0.2 seconds and was stopped" in page
    assert "Narrow it with a time range" in page
    assert "No records" in page or "<tbody" in page


@contextmanager
def _locked_by_another_session(model) -> Iterator[None]:
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    ) as other:
        other.execute(f'LOCK TABLE "{model._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        yield
        other.rollback()


def test_a_page_within_the_time_limit_leaves_no_limit_behind(admin_client):
    make_call_detail_record(caller="Zoe")

    response = admin_client.get(URL, {"q": "Zoe"})

    assert "was stopped" not in response.content.decode()
    assert "Zoe" in response.content.decode().split("<tbody")[1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)


def test_a_first_page_holding_every_row_counts_them_without_a_count_query(admin_client):
    for minute in range(3):
        make_call_detail_record(call_date=T0 - timedelta(minutes=minute))

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL)

    assert "3 records" in response.content.decode()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
