"""The console's template filters and tags, and the list page controls built with them:
quick date ranges, active-filter chips, auto-refresh, relative times."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from logging_app.templatetags.console import ago, hms, local_time
from tests.factories import make_call_detail_record
from tests.page import errors, parse

CDR = "/logging/cdr/"


@pytest.fixture(autouse=True)
def _console_time_zone_after():
    yield
    timezone.deactivate()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, ""), (0, "0:00:00"), (59, "0:00:59"), (3725, "1:02:05")]
)
def test_it_reads_durations_as_hours_minutes_seconds(seconds, shown):
    assert hms(seconds) == shown


@pytest.mark.parametrize(
    ("zone", "shown"),
    [(None, "2026-11-24 09:00:05"), ("Europe/Rome", "2026-11-24 10:00:05")],
)
def test_it_writes_a_date_time_to_the_second_in_the_current_zone(zone, shown):
    if zone:
        timezone.activate(ZoneInfo(zone))

    assert local_time(datetime(2026, 11, 24, 9, 0, 5, 999999, tzinfo=UTC)) == shown


def test_it_writes_a_date_time_in_a_given_zone():
    moment = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)

    assert local_time(moment, ZoneInfo("Asia/Tokyo")) == "2026-07-02 07:30:00"


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-3), "3\xa0minutes ago"),
        (timedelta(hours=-5, minutes=-10), "5\xa0hours ago"),
        (timedelta(days=-2, hours=-3), "2\xa0days ago"),
        (timedelta(minutes=10, seconds=5), "in 10\xa0minutes"),
    ],
)
def test_it_says_how_long_ago_in_words(offset, words):
    moment = timezone.now() + offset

    assert f">{words}</time>" in ago(moment)


def test_it_gives_the_exact_time_on_hover_in_the_current_zone():
    timezone.activate("Europe/Rome")
    moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    html = ago(moment)

    assert html.startswith('<time datetime="2026-11-24T10:00:00+01:00"')
    assert 'title="2026-11-24 10:00:00 Europe/Rome"' in html


def test_it_shows_nothing_for_no_time():
    assert ago(None) == ""


# --- The list page's controls -------------------------------------------------------------


def _main(response):
    return parse(response).find("main")


def _quick_ranges(response) -> dict[str, str]:
    nav = _main(response).find("nav", cls="quick-ranges")
    return {a.text: a.attrs["href"] for a in nav.find_all("a")}


def _chips(response) -> dict[str, str]:
    found = _main(response).find_all("ul", cls="chips")
    return {a.text: a.attrs["href"] for ul in found for a in ul.find_all("a")}


@pytest.mark.django_db
def test_it_offers_quick_date_ranges_that_keep_the_other_filters(admin_client):
    started = timezone.localtime()

    response = admin_client.get(
        CDR, {"disposition": "BUSY", "until": "2026-01-01T00:00:00", "page": "2"}
    )

    ranges = _quick_ranges(response)
    assert list(ranges) == ["Last hour", "24 hours", "7 days", "30 days"]
    spans = [timedelta(hours=1), timedelta(hours=24), timedelta(days=7), timedelta(days=30)]
    for url, span in zip(ranges.values(), spans, strict=True):
        query = _query(url)
        assert set(query) == {"disposition", "since"}
        assert query["disposition"] == ["BUSY"]
        since = datetime.fromisoformat(query["since"][0]).replace(tzinfo=started.tzinfo)
        assert timedelta(seconds=-5) <= started - span - since <= timedelta(seconds=1)


@pytest.mark.django_db
def test_it_reads_quick_ranges_in_the_viewers_zone(admin_client):
    admin_client.post("/preferences/", {"time_zone": "Asia/Tokyo"})
    an_hour_ago = timezone.now() - timedelta(hours=1)

    since = _query(_quick_ranges(admin_client.get(CDR))["Last hour"])["since"][0]

    shown = datetime.fromisoformat(since).replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    assert an_hour_ago - timedelta(seconds=1) <= shown <= an_hour_ago + timedelta(seconds=5)


@pytest.mark.django_db
def test_it_shows_each_active_filter_as_a_chip_that_removes_it(admin_client):
    response = admin_client.get(
        f"{CDR}?disposition=BUSY&disposition=FAILED&account=alice&q=&since=2026-11-24T10:00:00"
        "&per_page=100&page=2"
    )

    chips = _chips(response)
    assert list(chips) == [
        "Disposition: BUSY ×",
        "Disposition: FAILED ×",
        "Since: 2026-11-24 10:00:00 ×",
        "Account: alice ×",
    ]
    assert _query(chips["Disposition: BUSY ×"]) == {
        "disposition": ["FAILED"],
        "account": ["alice"],
        "q": [""],
        "since": ["2026-11-24T10:00:00"],
        "per_page": ["100"],
    }
    assert _query(chips["Account: alice ×"])["disposition"] == ["BUSY", "FAILED"]
    assert "account" not in _query(chips["Account: alice ×"])


@pytest.mark.django_db
def test_it_names_what_a_chip_removes(admin_client):
    chips = _main(admin_client.get(CDR, {"call_type": "3-WAY"})).find("ul", cls="chips")

    assert chips.find("a").attrs["aria-label"] == "Remove filter Call type: 3-WAY"


@pytest.mark.django_db
def test_it_removes_the_last_chip_to_the_plain_list(admin_client):
    chips = _chips(admin_client.get(CDR, {"disposition": "BUSY"}))

    assert chips == {"Disposition: BUSY ×": CDR}


@pytest.mark.django_db
def test_it_shows_a_choice_by_its_label(admin_client):
    chips = _chips(admin_client.get("/logging/install-messages/", {"sent": "true"}))

    assert list(chips) == ["Sent: Yes ×"]


@pytest.mark.django_db
def test_it_shows_no_chip_without_a_filter(admin_client):
    response = admin_client.get(CDR, {"per_page": "25", "q": ""})

    assert _chips(response) == {}


@pytest.mark.django_db
def test_it_takes_auto_refresh_as_no_filter_error(admin_client):
    make_call_detail_record()

    response = admin_client.get(CDR, {"refresh": "30", "disposition": "ANSWERED"})

    assert response.status_code == 200
    assert errors(response) == []
    page = parse(response)
    script = page.find("script")
    assert script.attrs["src"] == "/static/console/refresh.js"
    assert "defer" in script.attrs
    assert script.attrs["data-seconds"] == "30"
    assert "Stop auto-refresh" in [a.text for a in page.find("main").find_all("a")]


@pytest.mark.django_db
def test_it_keeps_auto_refresh_when_filtering_but_not_in_exports(admin_client):
    page = parse(admin_client.get(CDR, {"refresh": "30"}))

    form = page.find("form", cls="filters")
    assert form.find("input", type="hidden", name="refresh").attrs["value"] == "30"
    export = form.find("a", cls="export").attrs["href"]
    assert "refresh" not in _query(export)
    assert _query(export)["export"] == ["csv"]


@pytest.mark.django_db
def test_it_loads_no_script_without_auto_refresh(admin_client):
    page = parse(admin_client.get(CDR, {"disposition": "BUSY"}))

    assert page.find_all("script") == []
    switch = [a for a in page.find("main").find_all("a") if a.text == "Auto-refresh every 30 s"]
    assert _query(switch[0].attrs["href"]) == {"disposition": ["BUSY"], "refresh": ["30"]}


@pytest.mark.django_db
def test_it_labels_every_filter_input(admin_client):
    form = parse(admin_client.get(CDR)).find("form", cls="filters")

    labelled = {label.attrs.get("for") for label in form.find_all("label")}
    for element in form.find_all("input") + form.find_all("select"):
        if element.attrs.get("type") == "hidden":
            continue
        assert element.attrs["id"] in labelled, element.attrs
