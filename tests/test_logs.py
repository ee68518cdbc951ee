"""The registry of logs: the console's eight, then the modules CONSOLE_EXTRA_LOGS names
(logging_app/logs/__init__.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from logging_app.logs import LOGS
from tests.ninth_log import NINTH_LOG


def test_it_adds_the_configured_logs_after_the_consoles_eight(settings):
    eight = list(LOGS)

    settings.CONSOLE_EXTRA_LOGS = [NINTH_LOG]

    assert len(eight) == 8
    assert list(LOGS) == [*eight, "voicemail"]
    assert LOGS["voicemail"].model._meta.app_label == "ninth_log"


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        (["tests.ninth_log.models"], "The log module tests.ninth_log.models has no SPEC"),
        ([NINTH_LOG, NINTH_LOG], "Two log modules name their log 'voicemail'."),
    ],
    ids=["no-spec", "same-slug"],
)
def test_it_refuses_a_module_it_cannot_register(settings, modules, message):
    settings.CONSOLE_EXTRA_LOGS = modules

    with pytest.raises(ImproperlyConfigured, match=message):
        list(LOGS)
