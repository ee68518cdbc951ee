"""The list page as a person works in it all day: the time range, the filter bar, the sort
they can see, the column chooser, long values and the CSV's units."""

from datetime import timedelta

import pytest
from django.utils import timezone

from logging_app import models
from logging_app.listing.columns import CLIP_LENGTH
from tests.factories import (
    make_call_detail_record,
    make_security_event,
    make_sip_session_event,
)
from tests.page import csv_rows, errors, log_table, main_text, parse, row_ids

pytestmark = pytest.mark.django_db
CDR = "/logging/cdr/"


def _days_ago(days: float):
    return timezone.now() - timedelta(days=days)


# --- Relative time ranges ------------------------------------------------------------------


def test_it_keeps_a_relative_range_relative(admin_client):
    recent = make_call_detail_record(call_date=_days_ago(3))
    make_call_detail_record(call_date=_days_ago(10))

    response = admin_client.get(CDR, {"range": "7d"})

    assert response.status_code == 200
    assert row_ids(response) == [recent.pk]
    chips = [a.text for a in parse(response).find("ul", cls="chips").find_all("a")]
    assert chips == ["Time range: Last 7 days ×"]


@pytest.mark.parametrize(
    ("text", "chip"),
    [("24h", "Last 24 hours"), ("1h", "Last hour"), ("3d", "Last 3 days"), ("7D", "Last 7 days")],
)
def test_it_takes_hours_and_days(admin_client, text, chip):
    response = admin_client.get(CDR, {"range": text})

    assert response.status_code == 200
    chips = [a.text for a in parse(response).find("ul", cls="chips").find_all("a")]
    assert chips == [f"Time range: {chip} ×"]


@pytest.mark.parametrize("text", ["7", "d", "0d", "-1d", "7w", "99999d", "1e3h", "7 d"])
def test_it_refuses_a_range_that_is_none(admin_client, text):
    response = admin_client.get(CDR, {"range": text})

    assert response.status_code == 400
    assert errors(response) == [
        "Not a time range: a number of hours or days, as 24h or 7d (up to ten years)."
    ]


def test_it_lets_an_explicit_since_win_over_the_range(admin_client):
    old = make_call_detail_record(call_date=_days_ago(10))
    recent = make_call_detail_record(call_date=_days_ago(1))
    since = _days_ago(11).strftime("%Y-%m-%d %H:%M:%S")

    response = admin_client.get(CDR, {"range": "7d", "since": since})

    assert row_ids(response) == [recent.pk, old.pk]


# --- The filter bar --------------------------------------------------------------------------


def test_it_puts_the_most_used_filters_on_one_line(admin_client):
    form = parse(admin_client.get(CDR)).find("form", cls="filters")

    line = form.find("div", cls="filter-line")
    names = [e.attrs["name"] for e in line.find_all("select") + line.find_all("input")]
    assert names == ["range", "account", "q"]
    more = form.find("details", cls="more")
    assert "open" not in more.attrs
    assert more.find("summary").text == "More filters"


def test_it_opens_more_filters_when_one_of_them_is_set(admin_client):
    more = parse(admin_client.get(CDR, {"disposition": "BUSY"})).find("details", cls="more")

    assert "open" in more.attrs
    assert more.find("summary").text == "More filters (1 set)"


def test_it_offers_any_for_a_yes_no_filter(admin_client):
    reconciled = make_sip_session_event(reconciled=True)
    make_sip_session_event(reconciled=False)

    page = parse(admin_client.get("/logging/sip-sessions/"))
    filtered = admin_client.get("/logging/sip-sessions/", {"reconciled": "true"})

    select = page.find("select", name="reconciled")
    options = [(o.text, o.attrs["value"]) for o in select.find_all("option")]
    assert options == [("Any", ""), ("Yes", "true"), ("No", "false")]
    assert "selected" in select.find_all("option")[0].attrs
    assert row_ids(filtered) == [reconciled.pk]
    chips = [a.text for a in parse(filtered).find("ul", cls="chips").find_all("a")]
    assert chips == ["Reconciled: Yes ×"]


def test_it_writes_dates_in_the_inputs_as_everywhere_else(admin_client):
    response = admin_client.get(CDR, {"since": "2026-11-19T17:14:23"})

    since = parse(response).find("input", name="since")
    assert since.attrs["type"] == "text"
    assert since.attrs["value"] == "2026-11-19 17:14:23"
    assert admin_client.get(CDR, {"since": "2026-11-19 17:14:23"}).status_code == 200


def test_it_marks_the_search_box_for_its_shortcut(admin_client):
    search = parse(admin_client.get(CDR)).find("input", name="q")

    assert search.attrs["type"] == "search"
    assert "data-search" in search.attrs


# --- The sort a person can see ----------------------------------------------------------------


def test_it_shows_the_sort_on_its_header_and_as_a_chip(admin_client):
    for seconds in (30, 10, 20):
        make_call_detail_record(total_duration=seconds)

    response = admin_client.get(CDR, {"sort": "-total_duration"})

    headers = parse(response).find("table", cls="log-table").find_all("th")
    sorted_headers = [(th.text, th.attrs["aria-sort"]) for th in headers if "aria-sort" in th.attrs]
    assert sorted_headers == [("Total duration", "descending")]
    chip = parse(response).find("a", cls="sort-chip")
    assert chip.text == "Sorted by Total duration, descending ×"
    assert chip.attrs["href"] == CDR
    assert log_table(response).column("Total duration") == ["0:00:30", "0:00:20", "0:00:10"]


def test_it_names_the_pages_of_a_sort_previous_and_next(admin_client):
    for seconds in range(30):
        make_call_detail_record(total_duration=seconds)

    first = parse(admin_client.get(CDR, {"sort": "total_duration", "per_page": "25"}))
    second = parse(admin_client.get(CDR, {"sort": "total_duration", "per_page": "25", "page": 2}))

    assert [a.text for a in first.find("nav", cls="pager").find_all("a")] == ["Next →"]
    assert [a.text for a in second.find("nav", cls="pager").find_all("a")] == ["← Previous"]


def test_it_keeps_newer_and_older_in_the_time_order(admin_client):
    for minutes in range(30):
        make_call_detail_record(call_date=_days_ago(minutes / 1440))

    page = parse(admin_client.get(CDR, {"per_page": "25"}))

    assert [a.text for a in page.find("nav", cls="pager").find_all("a")] == ["Older →"]
    assert page.find_all("th", **{"aria-sort": "descending"}) == []


# --- Compact cells, long values -------------------------------------------------------------


def test_it_writes_name_and_number_in_one_cell_on_screen_only(admin_client):
    make_call_detail_record(caller="Olga Moretti", caller_number="+390612340001")

    response = admin_client.get(CDR)
    export = admin_client.get(CDR, {"export": "csv"})

    cell = log_table(response).rows[0][1]
    assert cell.text == "Olga Moretti +390612340001"
    assert cell.find("small").text == "+390612340001"
    header, row = csv_rows(export)[:2]
    assert header[1:3] == ["Caller number", "Caller"]
    assert row[1:3] == ["'+390612340001", "Olga Moretti"]


def test_it_shortens_a_long_value_whole_on_hover(admin_client):
    event = make_security_event()

    cell = log_table(admin_client.get("/logging/security/")).rows[0][-1]

    clip = cell.find("span", cls="clip")
    assert clip.attrs["title"] == event.details
    assert len(event.details) > CLIP_LENGTH


def test_it_says_the_unit_of_exported_durations(admin_client):
    make_call_detail_record(total_duration=75, call_duration=60)

    header, row = csv_rows(admin_client.get(CDR, {"export": "csv"}))[:2]

    assert row[header.index("Total duration (seconds)")] == "75"
    assert row[header.index("Call duration (seconds)")] == "60"


# --- The column chooser ----------------------------------------------------------------------


def _choose(client, shown: list[str], **extra):
    return client.post(
        "/logging/cdr/columns/", {"shown": shown, "next": "/logging/cdr/?range=7d", **extra}
    )


def test_it_remembers_the_columns_a_user_shows(admin_client, admin_user):
    make_call_detail_record(call_date=_days_ago(1))

    saved = _choose(admin_client, ["caller", "callee", "disposition"])
    response = admin_client.get(CDR)

    assert saved.status_code == 302
    assert saved["Location"] == "/logging/cdr/?range=7d"
    assert log_table(response).headers == ["Call date", "Caller", "Callee", "Disposition"]
    summary = parse(response).find("details", cls="columns-chooser").find("summary")
    assert summary.text == "Columns (8 hidden)"
    stored = models.ListColumns.objects.get(user=admin_user, log="cdr")
    assert "total_duration" in stored.hidden


def test_it_keeps_each_users_columns_apart(admin_client, support_client):
    make_call_detail_record()

    _choose(admin_client, ["caller"])

    assert log_table(admin_client.get(CDR)).headers == ["Call date", "Caller"]
    assert len(log_table(support_client.get(CDR)).headers) == 12


def test_it_shows_every_column_again(admin_client):
    make_call_detail_record()
    _choose(admin_client, ["caller"])

    _choose(admin_client, [], reset="on")

    assert len(log_table(admin_client.get(CDR)).headers) == 12


def test_it_keeps_the_manuals_columns_in_the_export_whatever_is_shown(admin_client):
    make_call_detail_record()
    _choose(admin_client, ["caller"])

    header = csv_rows(admin_client.get(CDR, {"export": "csv"}))[0]

    assert len(header) == 15  # the manual's 14, and "What happened"


def test_it_lets_support_choose_its_columns(support_client):
    assert _choose(support_client, ["caller"]).status_code == 302


@pytest.mark.parametrize("shown", [["call_date"], ["caller_number"], ["nope"], ["id"]])
def test_it_refuses_what_is_not_a_column_to_choose(admin_client, shown):
    response = _choose(admin_client, shown)

    assert response.status_code == 400
    assert not models.ListColumns.objects.exists()


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "/admin/", "", "//x/"])
def test_it_goes_back_only_to_the_list(admin_client, next_url):
    response = admin_client.post("/logging/cdr/columns/", {"shown": ["caller"], "next": next_url})

    assert response["Location"] == CDR


def test_it_asks_for_a_post_and_a_sign_in(client, admin_client):
    assert admin_client.get("/logging/cdr/columns/").status_code == 405
    assert client.post("/logging/cdr/columns/", {"shown": ["caller"]}).status_code == 302
    assert admin_client.post("/logging/nope/columns/", {"shown": []}).status_code == 404


def test_it_reads_the_choice_in_one_query(admin_client, django_assert_max_num_queries):
    from tests.test_views_log_list import MAX_QUERIES_PER_LIST

    for _ in range(60):
        make_call_detail_record()
    _choose(admin_client, ["caller", "callee"])

    with django_assert_max_num_queries(MAX_QUERIES_PER_LIST):
        response = admin_client.get(CDR)

    assert "Caller" in main_text(response)
