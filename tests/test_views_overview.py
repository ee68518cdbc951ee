"""The overview: recent counts per log, and per-day charts drawn as SVG on the server."""

import re
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from logging_app import charts, models
from logging_app.logs import LOGS
from tests.factories import (
    make_call_detail_record,
    make_log_record,
    make_secure_message,
    make_sip_session_event,
    make_web_session_event,
)
from tests.page import log_table, parse
from tests.test_views_health import health_queries

ROME = ZoneInfo("Europe/Rome")


def _cards(response) -> dict[str, str]:
    """Log title → count shown."""
    cards = parse(response).find("ul", cls="cards").find_all("a")
    return {
        card.find("span", cls="label").text: card.find("span", cls="count").text for card in cards
    }


def _chart(response, slug: str):
    return parse(response).find("figure", id=f"chart-{slug}")


def _segments(response, slug: str) -> dict[str, str]:
    """aria-label → link of each bar segment of a chart."""
    svg = _chart(response, slug).find("svg")
    return {a.attrs["aria-label"]: a.attrs["href"] for a in svg.find_all("a")}


def _day(days_ago: int, hour: int = 12, zone=None):
    """A moment `days_ago` days before today, at `hour` o'clock, in `zone` (default UTC)."""
    zone = zone or timezone.get_default_timezone()
    today = timezone.localdate(timezone=zone)
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=zone)


@pytest.mark.django_db
def test_it_counts_the_last_24_hours_of_each_log(admin_client):
    for slug, spec in LOGS.items():
        make_log_record(slug)
        make_log_record(slug)
        make_log_record(slug, **{spec.time_field: timezone.now() - timedelta(days=2)})

    response = admin_client.get("/")

    assert response.status_code == 200
    assert _cards(response) == {spec.title: "2" for spec in LOGS.values()}


@pytest.mark.django_db
def test_it_links_each_count_to_its_list_since_the_hour_24_hours_ago(admin_client):
    now = timezone.localtime()
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)

    links = parse(admin_client.get("/")).find("ul", cls="cards").links

    assert [urlsplit(link).path for link in links] == [f"/logging/{slug}/" for slug in LOGS]
    for link in links:
        (since,) = parse_qs(urlsplit(link).query)["since"]
        shown = datetime.fromisoformat(since).replace(tzinfo=timezone.get_current_timezone())
        # The hour under way when the page was asked for (which may have turned since).
        assert shown in (hour, hour + timedelta(hours=1))


@pytest.mark.django_db
def test_it_shows_how_long_ago_the_newest_record_came(admin_client):
    make_log_record("cdr", call_date=timezone.now() - timedelta(minutes=3))

    cards = parse(admin_client.get("/")).find("ul", cls="cards").find_all("li")

    newest = {
        card.find("span", cls="label").text: card.find("span", cls="latest") for card in cards
    }
    assert newest["Call Details Record"].text == "newest 3 minutes ago"
    assert newest["Call Details Record"].find("time").attrs["title"].endswith(" UTC")
    assert newest["System"].text == "none"


@pytest.mark.django_db
def test_it_shows_support_every_log(support_client):
    response = support_client.get("/")

    assert list(_cards(response)) == [spec.title for spec in LOGS.values()]
    assert len(parse(response).find_all("figure", cls="chart")) == len(charts.chart_specs())


@pytest.mark.django_db
def test_it_shows_only_the_logs_a_user_may_view(no_perm_client):
    response = no_perm_client.get("/")

    assert response.status_code == 200
    assert _cards(response) == {}
    assert parse(response).find_all("figure", cls="chart") == []


@pytest.mark.django_db
def test_it_draws_the_four_charts_with_a_legend(admin_client):
    response = admin_client.get("/")

    figures = parse(response).find_all("figure", cls="chart")
    assert [figure.find("h3").text for figure in figures] == [
        "Calls by disposition",
        "Sign-in failures",
        "SIP registrations",
        "Secure messages by status",
    ]
    legend = _chart(response, "calls").find("ul", cls="legend")
    assert [item.text for item in legend.find_all("li")] == [
        "ANSWERED 0",
        "NO_ANSWER 0",
        "BUSY 0",
        "CANCEL 0",
        "FAILED 0",
    ]


@pytest.mark.django_db
def test_it_labels_each_chart_for_assistive_technology(admin_client):
    make_call_detail_record(disposition=models.Disposition.BUSY, call_date=_day(0, hour=0))

    svg = _chart(admin_client.get("/"), "calls").find("svg")

    labelled_by = svg.attrs["aria-labelledby"].split()
    assert labelled_by == ["chart-calls-title", "chart-calls-desc"]
    assert "1 call in all" in svg.find("desc", id="chart-calls-desc").text
    assert all(a.attrs["aria-label"] for a in svg.find_all("a"))


@pytest.mark.django_db
def test_it_links_a_bar_segment_to_the_list_of_that_day_and_value(admin_client):
    day = _day(3)
    busy = make_call_detail_record(disposition=models.Disposition.BUSY, call_date=day)
    make_call_detail_record(disposition=models.Disposition.BUSY, call_date=day - timedelta(days=1))
    make_call_detail_record(disposition=models.Disposition.ANSWERED, call_date=day)

    segments = _segments(admin_client.get("/"), "calls")

    label = f"BUSY on {day:%a %Y-%m-%d}: 1 call"
    assert segments[label] == (
        f"/logging/cdr/?disposition=BUSY&since={day:%Y-%m-%d}T00%3A00%3A00"
        f"&until={day:%Y-%m-%d}T23%3A59%3A59"
    )
    listed = log_table(admin_client.get(segments[label]))
    assert [row[0].links[0] for row in listed.rows] == [f"/logging/cdr/{busy.pk}/"]


@pytest.mark.django_db
def test_it_stacks_the_values_of_a_day(admin_client):
    for disposition in ["ANSWERED", "ANSWERED", "BUSY", "FAILED"]:
        make_call_detail_record(disposition=disposition, call_date=_day(1))

    segments = _segments(admin_client.get("/"), "calls")

    day = f"{_day(1):%a %Y-%m-%d}"
    assert sorted(segments) == [
        f"ANSWERED on {day}: 2 calls",
        f"BUSY on {day}: 1 call",
        f"FAILED on {day}: 1 call",
    ]


@pytest.mark.django_db
def test_it_counts_only_what_each_chart_is_about(admin_client):
    make_web_session_event(event_type=models.WebSessionEventType.FAIL_BAD_CREDENTIALS)
    make_web_session_event(event_type=models.WebSessionEventType.SUCCESS)
    make_sip_session_event(event=models.SipEvent.REGISTER)
    make_sip_session_event(event=models.SipEvent.CONNECT)
    make_secure_message(status=models.SecureMessageStatus.EXPIRED)

    response = admin_client.get("/")

    assert list(_segments(response, "sign-in-failures")) == [
        f"FAIL_BAD_CREDENTIALS on {timezone.localdate():%a %Y-%m-%d}: 1 failure"
    ]
    assert list(_segments(response, "sip-registrations")) == [
        f"REGISTER on {timezone.localdate():%a %Y-%m-%d}: 1 registration"
    ]
    assert list(_segments(response, "secure-messages")) == [
        f"EXPIRED on {timezone.localdate():%a %Y-%m-%d}: 1 message"
    ]


@pytest.mark.django_db
def test_it_shows_the_last_14_days_only(admin_client):
    make_call_detail_record(call_date=_day(13))
    make_call_detail_record(call_date=_day(14))

    response = admin_client.get("/")

    assert list(_segments(response, "calls")) == [f"ANSWERED on {_day(13):%a %Y-%m-%d}: 1 call"]
    rows = _chart(response, "calls").find("table").find("tbody").find_all("tr")
    assert len(rows) == charts.DAYS


@pytest.mark.django_db
def test_it_groups_days_in_the_viewers_time_zone(admin_client):
    # 00:30 in Rome is 23:30 UTC the evening before.
    after_midnight_in_rome = _day(2, hour=0, zone=ROME) + timedelta(minutes=30)
    make_call_detail_record(call_date=after_midnight_in_rome)
    utc_day = after_midnight_in_rome.astimezone(timezone.get_default_timezone())
    assert utc_day.date() != after_midnight_in_rome.date()

    assert list(_segments(admin_client.get("/"), "calls")) == [
        f"ANSWERED on {utc_day:%a %Y-%m-%d}: 1 call"
    ]

    admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})
    segments = _segments(admin_client.get("/"), "calls")

    label = f"ANSWERED on {after_midnight_in_rome:%a %Y-%m-%d}: 1 call"
    day = f"{after_midnight_in_rome:%Y-%m-%d}"
    assert list(segments) == [label]
    assert f"since={day}T00%3A00%3A00&until={day}T23%3A59%3A59" in segments[label]


@pytest.mark.django_db
def test_it_works_under_the_content_security_policy(admin_client):
    make_call_detail_record()

    response = admin_client.get("/")

    content = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "style=" not in content
    assert "<style" not in content
    # Scripts only from the console's own files, none inline.
    assert re.findall(r"<script[^>]*>(.*?)</script>", content, re.S) == ["", ""]
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", content))
    assert "://" not in content


@pytest.mark.django_db
def test_it_bounds_its_queries(admin_client, django_assert_max_num_queries):
    for slug in LOGS:
        make_log_record(slug)
    make_call_detail_record(call_date=_day(5))

    # Session, user, the logs' hours summed, one grouped query of hours per chart, the
    # appliance's health (one query of index probes, which tells each log's newest row
    # too), the menu's saved views: however many rows and logs.
    with django_assert_max_num_queries(4 + len(charts.chart_specs()) + health_queries()):
        admin_client.get("/")
