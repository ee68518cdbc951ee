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


def _chips(response) -> dict[str, str]:
    found = _main(response).find_all("ul", cls="chips")
    return {a.text: a.attrs["href"] for ul in found for a in ul.find_all("a")}


def _range_options(response) -> dict[str, str]:
    select = _main(response).find("select", name="range")
    return {option.text: option.attrs["value"] for option in select.find_all("option")}


@pytest.mark.django_db
def test_it_offers_relative_time_ranges(admin_client):
    options = _range_options(admin_client.get(CDR))

    assert options == {
        "Any time": "",
        "Last hour": "1h",
        "Last 24 hours": "24h",
        "Last 7 days": "7d",
        "Last 30 days": "30d",
    }


@pytest.mark.django_db
def test_it_keeps_a_range_of_its_own_in_the_menu(admin_client):
    response = admin_client.get(CDR, {"range": "3d"})

    assert response.status_code == 200
    select = _main(response).find("select", name="range")
    chosen = [o for o in select.find_all("option") if "selected" in o.attrs]
    assert [(o.text, o.attrs["value"]) for o in chosen] == [("Last 3 days", "3d")]


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
    scripts = {script.attrs["src"]: script for script in page.find_all("script")}
    script = scripts["/static/console/refresh.js"]
    assert "defer" in script.attrs
    assert script.attrs["data-seconds"] == "30"
    assert "Stop auto-refresh" in [a.text for a in page.find("main").find_all("a")]


@pytest.mark.django_db
def test_it_keeps_auto_refresh_when_filtering_but_not_in_exports(admin_client):
    page = parse(admin_client.get(CDR, {"refresh": "30"}))

    form = page.find("form", cls="filters")
    assert form.find("input", type="hidden", name="refresh").attrs["value"] == "30"
    export = page.find("div", cls="list-actions").find("a", cls="export").attrs["href"]
    assert "refresh" not in _query(export)
    assert _query(export)["export"] == ["csv"]


@pytest.mark.django_db
def test_it_loads_no_script_without_auto_refresh(admin_client):
    page = parse(admin_client.get(CDR, {"disposition": "BUSY"}))

    # Only the console's own scripts on every page: its theme and its keyboard.
    assert [script.attrs["src"] for script in page.find_all("script")] == [
        "/static/console/theme.js",
        "/static/console/console.js",
    ]
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
