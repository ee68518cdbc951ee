"""The Preferences page: each user picks the time zone the console shows times in."""

import pytest
from django.test import Client
from django.utils import timezone

from logging_app.models import ConsoleUserProfile
from tests.page import errors, parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _console_time_zone_after():
    # The middleware leaves a request's zone active in the thread that served it.
    yield
    timezone.deactivate()


def _zone_of(username: str) -> str:
    return ConsoleUserProfile.objects.get(user__username=username).time_zone


def _shown_zone(client: Client) -> str:
    return parse(client.get("/")).find("a", cls="zone").text


def test_it_sends_anonymous_visitors_to_sign_in(client):
    assert client.get("/preferences/")["Location"].startswith("/login/")
    assert client.post("/preferences/", {"time_zone": "Europe/Rome"})["Location"].startswith(
        "/login/"
    )


def test_it_offers_every_known_zone_and_the_consoles_own(admin_client, settings):
    settings.TIME_ZONE = "UTC"

    response = admin_client.get("/preferences/")

    select = parse(response).find("select", id="id_time_zone")
    options = {option.attrs["value"]: option.text for option in select.find_all("option")}
    assert response.status_code == 200
    assert options[""] == "The console's time zone (UTC)"
    assert "Europe/Rome" in options
    assert "America/Argentina/Buenos_Aires" in options
    assert select.find("option", selected="").attrs["value"] == ""


def test_it_labels_the_zone_choice(admin_client):
    page = parse(admin_client.get("/preferences/"))

    label = [label for label in page.find_all("label") if label.attrs.get("for") == "id_time_zone"]
    assert [item.text for item in label] == ["Time zone:"]


def test_it_saves_the_zone_and_shows_pages_in_it(admin_client, admin_user):
    response = admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    assert response.status_code == 302
    assert response["Location"] == "/preferences/"
    assert _zone_of(admin_user.username) == "Europe/Rome"
    assert "Preferences saved." in parse(admin_client.get("/preferences/")).find("main").text
    assert _shown_zone(admin_client) == "Time zone: Europe/Rome"


def test_it_selects_the_saved_zone(admin_client):
    admin_client.post("/preferences/", {"time_zone": "Asia/Tokyo"})

    select = parse(admin_client.get("/preferences/")).find("select", id="id_time_zone")

    assert select.find("option", selected="").attrs["value"] == "Asia/Tokyo"


def test_it_goes_back_to_the_consoles_zone(admin_client, admin_user, settings):
    settings.TIME_ZONE = "America/New_York"
    admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    admin_client.post("/preferences/", {"time_zone": ""})

    assert _zone_of(admin_user.username) == ""
    assert _shown_zone(admin_client) == "Time zone: America/New_York"


def test_it_refuses_an_unknown_zone(admin_client, admin_user):
    admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    response = admin_client.post("/preferences/", {"time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert "Mars/Olympus_Mons is not one of the available choices" in " ".join(errors(response))
    assert _zone_of(admin_user.username) == "Europe/Rome"


def test_it_lets_support_choose_their_own_zone(support_client, support_user):
    support_client.post("/preferences/", {"time_zone": "Europe/Lisbon"})

    assert _zone_of(support_user.username) == "Europe/Lisbon"
    assert _shown_zone(support_client) == "Time zone: Europe/Lisbon"


def test_it_changes_only_the_users_own_zone(admin_client, support_user):
    admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    assert not ConsoleUserProfile.objects.filter(user=support_user, time_zone="Europe/Rome")


def test_it_needs_the_csrf_token(admin_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)

    response = strict.post("/preferences/", {"time_zone": "Europe/Rome"})

    assert response.status_code == 403
    assert not ConsoleUserProfile.objects.filter(time_zone="Europe/Rome").exists()


def test_it_posts_its_form_with_the_csrf_token(admin_client):
    form = parse(admin_client.get("/preferences/")).find("form", cls="preferences")

    assert form.attrs["method"] == "post"
    assert form.find("input", type="hidden", name="csrfmiddlewaretoken").attrs["value"]


def test_it_answers_other_methods_with_405(admin_client):
    assert admin_client.put("/preferences/").status_code == 405


def test_it_is_linked_from_the_time_zone_on_every_page(admin_client):
    for url in ["/", "/logging/cdr/", "/accounts/", "/preferences/"]:
        zone = parse(admin_client.get(url)).find("a", cls="zone")
        assert zone.attrs["href"] == "/preferences/"


def test_it_makes_the_profile_of_a_user_who_has_none(admin_client, admin_user):
    ConsoleUserProfile.objects.filter(user=admin_user).delete()

    select = parse(admin_client.get("/preferences/")).find("select", id="id_time_zone")
    admin_client.post("/preferences/", {"time_zone": "Europe/Rome"})

    assert select.find("option", selected="").attrs["value"] == ""
    assert _zone_of(admin_user.username) == "Europe/Rome"
