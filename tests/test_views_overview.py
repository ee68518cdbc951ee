"""The overview: how many records each log received recently."""

from datetime import timedelta

import pytest
from django.utils import timezone

from logging_app.registry import LOGS
from tests.factories import make_log_record
from tests.page import parse


def _cards(response) -> dict[str, str]:
    """Log title → count shown."""
    cards = parse(response).find("ul", cls="cards").find_all("a")
    return {
        card.find("span", cls="label").text: card.find("span", cls="count").text for card in cards
    }


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
def test_it_links_each_count_to_its_list(admin_client):
    links = parse(admin_client.get("/")).find("ul", cls="cards").links

    assert links == [f"/logging/{slug}/" for slug in LOGS]


@pytest.mark.django_db
def test_it_shows_support_every_log(support_client):
    assert list(_cards(support_client.get("/"))) == [spec.title for spec in LOGS.values()]


@pytest.mark.django_db
def test_it_shows_only_the_logs_a_user_may_view(no_perm_client):
    response = no_perm_client.get("/")

    assert response.status_code == 200
    assert _cards(response) == {}


@pytest.mark.django_db
def test_it_bounds_its_queries(admin_client, django_assert_max_num_queries):
    # Session, user and one count per log.
    with django_assert_max_num_queries(2 + len(LOGS)):
        admin_client.get("/")
