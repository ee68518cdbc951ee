"""The list tables' own row writer: the URLs it builds without reverse() per cell, and
the columns it refuses to write."""

from urllib.parse import urlencode

import django_tables2 as tables
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from logging_app import models
from logging_app.listing.columns import Rendering
from logging_app.listing.tables import LogTable

# Names as an appliance may send them: everything but "/" can be an account page.
NAMES = ["alice", "o d&d<x>", "ünï cødé", "a?b#c", "100%", "x:y@z;=+", "~'quoted'"]


@pytest.mark.parametrize("name", NAMES)
def test_it_builds_the_account_url_reverse_builds(name):
    assert Rendering().account_url(name) == reverse("account_detail", args=[name])


@pytest.mark.parametrize("name", ["", "a/b", "/", models.ANONYMOUS_PRINCIPAL])
def test_it_gives_no_account_url_for_a_name_that_cannot_be_one(name):
    assert Rendering().account_url(name) == ""


@pytest.mark.parametrize("name", ["", "a/b", "/"])
def test_it_agrees_with_reverse_on_names_that_cannot_be_urls(name):
    with pytest.raises(NoReverseMatch):
        reverse("account_detail", args=[name])


@pytest.mark.parametrize("log", ["cdr", "sip-sessions", "web-sessions"])
def test_it_builds_the_detail_and_list_urls_reverse_builds(log):
    rendering = Rendering()

    assert rendering.detail_url(log, 42) == reverse("log_detail", args=[log, 42])
    assert rendering.detail_url(log, 7) == reverse("log_detail", args=[log, 7])
    assert rendering.list_url(log, account="a&b c") == (
        f"{reverse('log_list', args=[log])}?{urlencode({'account': 'a&b c'})}"
    )


def test_it_refuses_a_column_it_cannot_write():
    class LinkedTable(LogTable):
        message = tables.TemplateColumn("{{ value }}")

        class Meta(LogTable.Meta):
            model = models.SystemEvent
            fields = ("message",)

    with pytest.raises(ImproperlyConfigured, match="message"):
        LinkedTable([models.SystemEvent(message="hello")]).rows_html()
