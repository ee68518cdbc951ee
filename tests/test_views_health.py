"""The appliance's health as users see it: the overview's block, the banner of every page."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logging_app import health, models, selectors
from logging_app.logs import LOGS
from tests.factories import make_call_detail_record, make_system_event
from tests.page import parse
from tests.test_scale import _locked_by_another_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _five_minutes(settings) -> None:
    settings.HEARTBEAT_EXPECTED_SECONDS = 300


def health_queries() -> int:
    """The queries of the appliance's health on a page outside a list's time limit: its
    probe, and on PostgreSQL its own time limit (here, in a test's transaction, in a
    savepoint: the savepoint, the setting, its reset and the release)."""
    return 5 if connection.vendor == "postgresql" else 1


def _banner(response) -> str:
    banner = parse(response).find_all("section", cls="health-banner")
    return banner[0].text if banner else ""


def _health_rows(response) -> dict[str, list[str]]:
    """Log → its cells in the overview's health table."""
    table = parse(response).find("table", cls="health-table")
    rows = table.find("tbody").find_all("tr")
    return {row.find("th").text: [cell.text for cell in row.find_all("td")] for row in rows}


def test_it_shows_no_banner_while_the_heartbeats_come(admin_client):
    make_system_event(timestamp=timezone.now() - timedelta(minutes=1))

    for url in ("/", "/logging/cdr/", "/accounts/", "/preferences/"):
        assert _banner(admin_client.get(url)) == "", url


def test_it_shows_the_banner_on_every_page_when_the_heartbeats_stop(admin_client):
    make_system_event(timestamp=timezone.now() - timedelta(minutes=20))

    for url in ("/logging/cdr/", "/accounts/", "/preferences/"):
        banner = _banner(admin_client.get(url))
        assert "The appliance needs attention" in banner, url
        assert "The appliance's heartbeats stopped: the last one was 20 minutes ago" in banner
        assert "one is expected at least every 5 minutes" in banner
        assert "The appliance's health" in banner  # the link to the overview's block


def test_it_says_when_no_heartbeat_came(support_client):
    assert "No heartbeat has been received" in _banner(support_client.get("/logging/system/"))


def test_it_names_a_silent_log_in_the_banner(admin_client):
    now = timezone.now()
    make_system_event(timestamp=now)
    for n in range(health.USUAL_SAMPLE):
        make_call_detail_record(call_date=now - timedelta(minutes=30 + n))

    response = admin_client.get("/logging/security/")

    banner = parse(response).find("section", cls="health-banner")
    assert "Call Details Record has received nothing for 30 minutes" in banner.text
    assert "usually a record every 1 minute" in banner.text
    assert "/logging/cdr/" in banner.links


def test_it_shows_no_banner_before_sign_in(client):
    make_system_event(timestamp=timezone.now() - timedelta(hours=2))

    assert _banner(client.get("/login/")) == ""


def test_it_tells_no_heartbeat_to_who_may_not_read_the_system_log(no_perm_client):
    make_system_event(timestamp=timezone.now() - timedelta(hours=2))

    assert _banner(no_perm_client.get("/preferences/")) == ""


def test_the_overview_gives_the_last_heartbeat_and_each_logs_newest_record(admin_client):
    now = timezone.now()
    make_system_event(timestamp=now - timedelta(minutes=2))
    make_call_detail_record(call_date=now - timedelta(hours=3))

    response = admin_client.get("/")

    block = parse(response).find("section", id="health")
    assert "Last heartbeat:" in block.text
    assert "2 minutes ago" in block.text
    assert "/logging/system/?event_type=HEARTBEAT" in block.links
    rows = _health_rows(response)
    assert list(rows) == [spec.title for spec in LOGS.values()]
    assert rows["Call Details Record"][1:] == ["3 hours", "not known yet", "receiving"]
    assert rows["Install Messages"] == ["none", "–", "not known yet", "empty"]
    assert "how long ago a log's newest record happened (now minus its time)" in block.text
    assert _banner(response) == ""


def test_the_overview_marks_a_silent_log(admin_client):
    now = timezone.now()
    make_system_event(timestamp=now)
    for n in range(health.USUAL_SAMPLE):
        make_call_detail_record(call_date=now - timedelta(hours=1, minutes=n))

    response = admin_client.get("/")

    assert _health_rows(response)["Call Details Record"][1:] == ["1 hour", "1 minute", "silent"]
    # On the overview, the banner does not link to the block under it.
    assert "Call Details Record has received nothing" in _banner(response)
    assert "/#health" not in parse(response).find("section", cls="health-banner").links


def test_the_overview_shows_each_user_only_the_logs_they_may_read(client):
    make_system_event(timestamp=timezone.now() - timedelta(hours=2))
    user = User.objects.create_user("cdr-only", password="cdr-only-password-123")
    user.user_permissions.add(Permission.objects.get(codename="view_calldetailrecord"))
    client.force_login(user)

    response = client.get("/")

    assert list(_health_rows(response)) == ["Call Details Record"]
    assert "Last heartbeat" not in parse(response).find("section", id="health").text
    assert _banner(response) == ""


def test_the_health_costs_one_query_a_page_then_none(admin_client):
    make_system_event()
    admin_client.get("/preferences/")  # the session and user, as on every page
    cache.delete(health.CACHE_KEY)

    with CaptureQueriesContext(connection) as first:
        admin_client.get("/preferences/")
    with CaptureQueriesContext(connection) as second:
        admin_client.get("/preferences/")

    def probes(queries: CaptureQueriesContext) -> list[str]:
        return [query["sql"] for query in queries if query["sql"].startswith("SELECT (SELECT")]

    # Besides, PostgreSQL sets the probe's time limit (in the test's transaction: in a
    # savepoint, setting it back after): no other read of the logs.
    assert len(probes(first)) == 1
    assert len(first) - len(second) == health_queries()
    assert probes(second) == []


def test_a_locked_log_does_not_hold_up_the_banner(transactional_db, admin_client):
    if connection.vendor != "postgresql":
        pytest.skip("the probes' time limit is PostgreSQL's statement timeout")
    make_system_event(timestamp=timezone.now() - timedelta(hours=2))

    # Maintenance holds a log's table: a page that reads no log answers, without a banner.
    with _locked_by_another_session(models.CallDetailRecord):
        response = admin_client.get("/preferences/")
        assert health.appliance_health().unknown

    assert response.status_code == 200
    assert _banner(response) == ""
    # Known again once the table is free: nothing unknown was kept.
    assert "heartbeats stopped" in _banner(admin_client.get("/preferences/"))
    assert "could not be read" not in admin_client.get("/").content.decode()


def test_the_overview_says_when_the_health_is_not_known(admin_client, monkeypatch):
    def too_slow() -> None:
        raise selectors.TooSlow

    monkeypatch.setattr(health, "_probe", too_slow)

    response = admin_client.get("/")

    assert "The appliance's health could not be read just now" in response.content.decode()
    assert _banner(response) == ""
