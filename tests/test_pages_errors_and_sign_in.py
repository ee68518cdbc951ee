"""The console's own pages for what goes wrong, and the words around signing in and out."""

import pytest
from django.test import Client
from django.urls import include, path

from tests.page import main_text, parse

pytestmark = pytest.mark.django_db


def _fail(request):
    raise RuntimeError("a defect")


# The console's URLs and one that fails, for the tests that set ROOT_URLCONF here.
urlpatterns = [path("fail/", _fail), path("", include("console.urls"))]
handler500 = "logging_app.errors.server_error"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("url", ["/logging/cdr/999999/", "/no/such/page/", "/calls/nope/"])
def test_it_answers_a_missing_page_with_its_own_404(admin_client, settings, debug, url):
    settings.DEBUG = debug

    response = admin_client.get(url)

    assert response.status_code == 404
    assert parse(response).find("h1").text == "Page not found"
    # In the console's layout: its menu for the signed-in user.
    assert parse(response).find("nav", **{"aria-label": "Main menu"})
    assert url in main_text(response)


def test_it_answers_the_api_404_as_json(client, settings):
    settings.DEBUG = True

    response = client.get("/api/nothing-here/")

    assert response.status_code == 404


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_a_failure_with_its_own_500(admin_user, settings, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    response = client.get("/fail/")

    assert response.status_code == 500
    assert parse(response).find("h1").text == "Server error (500)"
    assert "a defect" not in response.content.decode()


def test_it_confirms_a_sign_out(admin_client):
    response = admin_client.post("/logout/", follow=True)

    assert response.redirect_chain[-1][0] == "/login/"
    assert "You have signed out." in main_text(response)


def test_it_says_a_page_needed_a_sign_in(client):
    response = client.get("/logging/cdr/?range=7d", follow=True)

    assert "Sign in to see that page." in main_text(response)


def test_it_says_the_session_expired(client, settings):
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-that-has-ended"

    response = client.get("/logging/cdr/", follow=True)

    assert "Your session has expired: sign in again" in main_text(response)


@pytest.mark.parametrize("url", ["/login/", "/"])
def test_it_says_nothing_on_a_plain_visit_to_the_console(client, url):
    text = main_text(client.get(url, follow=True))

    assert "Sign in to see" not in text
    assert "expired" not in text
