"""A free-text search that no index serves never hangs a page: on PostgreSQL it reads back
from the newest records within a time budget, shows what it found, says how far back it
looked, and goes on from there when asked."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import pytest
from django.db import connection

from logging_app import selectors
from tests.factories import make_call_detail_record
from tests.page import main_text, parse, row_ids

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite's searches have no time limit"
    ),
]

NEWEST = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "/logging/cdr/"


def _ten_days_of_calls() -> list:
    """A call every six hours over ten days; the oldest one's caller has a rare name."""
    calls = [
        make_call_detail_record(call_date=NEWEST - timedelta(hours=6 * step), caller="Ada Bianchi")
        for step in range(40)
    ]
    calls[-1].caller = "Zephyrine Quaglia"
    calls[-1].save()
    return calls


def test_a_rare_word_is_found_by_searching_older_records_step_by_step(admin_client, monkeypatch):
    calls = _ten_days_of_calls()
    monkeypatch.setattr(selectors, "SEARCH_BUDGET_SECONDS", 0)  # one day at a time

    response = admin_client.get(URL, {"q": "zephyrine"})
    steps = 0
    while not row_ids(response) and steps < 20:
        notice = parse(response).find("p", cls="searched-from")
        assert "older records were left" in notice.text
        assert "nothing there matches" in notice.text
        older = notice.find("a").attrs["href"]
        response = admin_client.get(urljoin(URL, older))
        assert response.status_code == 200
        steps += 1

    assert row_ids(response) == [calls[-1].pk]
    assert steps >= 9  # ten days, read a day at a time
    assert not parse(response).find_all("p", cls="searched-from")  # it reached the oldest


def test_the_first_step_says_how_far_back_it_searched_and_shows_what_it_found(
    admin_client, monkeypatch
):
    calls = _ten_days_of_calls()
    monkeypatch.setattr(selectors, "SEARCH_BUDGET_SECONDS", 0)

    response = admin_client.get(URL, {"q": "bianchi"})

    notice = parse(response).find("p", cls="searched-from")
    assert "Searched the records from 2026-11-20 00:00 on" in notice.text
    assert "these are all it found there" in notice.text
    newest_day = [call.pk for call in calls if call.call_date.date() == NEWEST.date()]
    assert row_ids(response) == newest_day
    assert "records" not in main_text(response).split("Searched")[0].split("\n")[-1]


def test_within_its_budget_a_search_reads_every_record(admin_client):
    calls = _ten_days_of_calls()

    response = admin_client.get(URL, {"q": "zephyrine"})

    assert row_ids(response) == [calls[-1].pk]
    assert not parse(response).find_all("p", cls="searched-from")
    assert "1 record" in main_text(response)


def test_a_common_word_fills_the_page_and_counts_what_it_found(admin_client):
    _ten_days_of_calls()

    response = admin_client.get(URL, {"q": "bianchi", "per_page": 25})

    assert len(row_ids(response)) == 25
    assert "more than 25 records" in main_text(response)
    assert parse(response).find_all("a", rel="next")
