"""Times are stored in UTC and shown, filtered and exported in the viewer's time zone."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from logging_app.models import ConsoleUserProfile
from tests.factories import make_system_event
from tests.page import log_table, parse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-9"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Rome, 18:00 in Tokyo


@pytest.fixture(autouse=True)
def _console_time_zone_after():
    # The middleware leaves a request's zone active in the thread that served it.
    yield
    timezone.deactivate()


def _signed_in_with_zone(username: str, zone: str) -> Client:
    """A client signed in through the sign-in page by a user whose profile names `zone`."""
    user = User.objects.create_superuser(username, password=PASSWORD)
    ConsoleUserProfile.objects.update_or_create(user=user, defaults={"time_zone": zone})
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _shown_zone(response) -> str:
    return parse(response).find("a", cls="zone").text


def test_it_shows_times_in_the_zone_of_the_users_profile():
    rome = _signed_in_with_zone("rosa", "Europe/Rome")
    make_system_event(timestamp=T0)

    response = rome.get("/logging/system/")

    assert _shown_zone(response) == "Time zone: Europe/Rome"
    assert log_table(response).column("Timestamp") == ["2026-11-24 10:00:00"]


def test_it_shows_each_viewer_their_own_zone():
    rome = _signed_in_with_zone("rosa", "Europe/Rome")
    tokyo = _signed_in_with_zone("taro", "Asia/Tokyo")
    plain = _signed_in_with_zone("uma", "")
    event = make_system_event(timestamp=T0)
    url = f"/logging/system/{event.pk}/"

    assert "2026-11-24 10:00:00" in parse(rome.get(url)).find("h1").text
    assert "2026-11-24 18:00:00" in parse(tokyo.get(url)).find("h1").text
    # The zone of one request does not leak into the next one served by the same thread.
    assert "2026-11-24 09:00:00" in parse(plain.get(url)).find("h1").text
    assert _shown_zone(plain.get(url)) == "Time zone: UTC"


def test_it_uses_the_consoles_zone_when_the_profile_names_none(settings):
    settings.TIME_ZONE = "America/New_York"
    client = _signed_in_with_zone("uma", "")
    make_system_event(timestamp=T0)

    response = client.get("/logging/system/")

    assert _shown_zone(response) == "Time zone: America/New_York"
    assert log_table(response).column("Timestamp") == ["2026-11-24 04:00:00"]


def test_it_falls_back_to_the_consoles_zone_for_an_unknown_one():
    client = _signed_in_with_zone("rosa", "Atlantis/Capital")

    assert _shown_zone(client.get("/")) == "Time zone: UTC"


def test_it_reads_filter_inputs_in_the_viewers_zone():
    tokyo = _signed_in_with_zone("taro", "Asia/Tokyo")
    make_system_event(timestamp=T0)  # 18:00 in Tokyo
    later = make_system_event(timestamp=T0.replace(hour=10))  # 19:00 in Tokyo

    response = tokyo.get("/logging/system/", {"since": "2026-11-24T18:30:00"})

    assert [row[0].links[0] for row in log_table(response).rows] == [f"/logging/system/{later.pk}/"]


def test_it_exports_in_the_viewers_zone_and_says_which():
    rome = _signed_in_with_zone("rosa", "Europe/Rome")
    make_system_event(timestamp=T0)

    response = rome.get("/logging/system/", {"export": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Timestamp (Europe/Rome)"
    assert rows[1][0] == "2026-11-24T10:00:00+01:00"


def test_it_reads_the_profile_at_each_sign_in():
    # The zone is kept in the session: a change made elsewhere (the admin site) shows from
    # the next sign-in; the Preferences page changes both at once.
    client = _signed_in_with_zone("rosa", "Europe/Rome")
    ConsoleUserProfile.objects.filter(user__username="rosa").update(time_zone="Asia/Tokyo")
    assert _shown_zone(client.get("/")) == "Time zone: Europe/Rome"

    client.post("/logout/")
    client.post("/login/", {"username": "rosa", "password": PASSWORD})

    assert _shown_zone(client.get("/")) == "Time zone: Asia/Tokyo"


# Stored before ingest kept date-times within its range (or written by hand): where the
# viewer's zone runs past the end of the calendar, pages show the time in UTC, and say so.
THE_END = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
THE_START = datetime(1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "moment", "shown"),
    [
        ("Asia/Tokyo", THE_END, "9999-12-31 23:59:59 UTC"),
        ("Pacific/Kiritimati", THE_END, "9999-12-31 23:59:59 UTC"),
        ("America/New_York", THE_END, "9999-12-31 18:59:59"),
        ("America/New_York", THE_START, "0001-01-01 00:00:00 UTC"),
        ("Etc/GMT+12", THE_START, "0001-01-01 00:00:00 UTC"),
        # Tokyo kept its local mean time then.
        ("Asia/Tokyo", THE_START, "0001-01-01 09:18:59"),
    ],
)
def test_it_shows_times_at_the_ends_of_the_calendar_in_every_zone(zone, moment, shown):
    client = _signed_in_with_zone("taro", zone)
    event = make_system_event(timestamp=moment)

    overview = client.get("/")
    listed = client.get("/logging/system/")
    detail = client.get(f"/logging/system/{event.pk}/")
    export = client.get("/logging/system/", {"export": "csv"})

    assert overview.status_code == 200
    assert log_table(listed).column("Timestamp") == [shown]
    assert shown in parse(detail).find("h1").text
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 2
    assert datetime.fromisoformat(rows[1][0]) == moment
