"""The roles' groups and their permissions, which follow the registered logs
(logging_app/roles.py)."""

import pytest
from django.contrib.auth.models import Group

from logging_app.roles import SUPPORT, roles_sync

pytestmark = pytest.mark.django_db


def _support_views(app_label: str) -> set[str]:
    permissions = Group.objects.get(name=SUPPORT).permissions
    return set(
        permissions.filter(content_type__app_label=app_label).values_list("codename", flat=True)
    )


def test_it_lets_support_read_a_registered_log_of_another_app(ninth_log):
    roles_sync()

    assert _support_views("ninth_log") == {"view_voicemailevent"}


def test_it_gives_support_nothing_of_an_app_whose_log_is_not_registered(ninth_log, settings):
    roles_sync()
    settings.CONSOLE_EXTRA_LOGS = []

    roles_sync()

    assert _support_views("ninth_log") == set()
    assert "view_calldetailrecord" in _support_views("logging_app")
