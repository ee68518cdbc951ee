"""Signing in and out, and the pages that need it."""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import User

from logging_app.logs import LOGS
from tests.factories import make_account, make_log_record
from tests.page import errors, parse


def _pages() -> list[str]:
    pages = ["/", "/accounts/", "/accounts/alice/"]
    for slug in LOGS:
        pages += [f"/logging/{slug}/", f"/logging/{slug}/1/", f"/logging/{slug}/?export=csv"]
    return pages


@pytest.fixture
def console_user(db) -> User:
    return User.objects.create_user("operator", password="a-long-password-9")


@pytest.mark.django_db
@pytest.mark.parametrize("url", _pages())
def test_it_sends_anonymous_visitors_to_sign_in(client, url):
    make_account(username="alice")
    for slug in LOGS:
        make_log_record(slug)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url, safe='/')}"


@pytest.mark.django_db
def test_it_needs_no_sign_in_for_healthz(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", [f"/logging/{slug}/" for slug in LOGS])
def test_it_refuses_a_list_without_view_permission(no_perm_client, url):
    assert no_perm_client.get(url).status_code == 403


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_log(admin_client):
    assert admin_client.get("/logging/nope/").status_code == 404


@pytest.mark.django_db
def test_it_renders_the_sign_in_page(client):
    response = client.get("/login/")

    form = parse(response).find("form", method="post")
    names = {field.attrs.get("name") for field in form.find_all("input")}
    assert response.status_code == 200
    assert {"username", "password", "csrfmiddlewaretoken", "next"} <= names


@pytest.mark.django_db
def test_it_signs_in_and_goes_where_asked(client, console_user):
    response = client.post(
        "/login/",
        {"username": "operator", "password": "a-long-password-9", "next": "/logging/cdr/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/logging/cdr/"
    assert client.get("/").wsgi_request.user == console_user


@pytest.mark.django_db
def test_it_signs_in_to_the_overview(client, console_user):
    response = client.post("/login/", {"username": "operator", "password": "a-long-password-9"})

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_it_refuses_a_wrong_password(client, console_user):
    response = client.post("/login/", {"username": "operator", "password": "wrong"})

    assert response.status_code == 200
    assert errors(response)
    assert not client.get("/healthz").wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_it_does_not_go_elsewhere_after_signing_in(client, console_user):
    response = client.post(
        "/login/",
        {"username": "operator", "password": "a-long-password-9", "next": "https://evil.test/"},
    )

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_it_signs_out_only_by_post(admin_client):
    get = admin_client.get("/logout/")
    still_in = admin_client.get("/").status_code
    post = admin_client.post("/logout/")

    assert get.status_code == 405
    assert still_in == 200
    assert post.status_code == 302
    assert post["Location"] == "/login/"
    assert admin_client.get("/").status_code == 302


@pytest.mark.django_db
def test_it_offers_a_sign_out_button(admin_client):
    form = parse(admin_client.get("/")).find("form", action="/logout/")

    assert form.attrs["method"] == "post"
