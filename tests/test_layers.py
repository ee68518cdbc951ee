"""The data layer loads without the presentation layer (docs/architecture.md)."""

import subprocess
import sys

PRESENTATION = ("logging_app.listing", "logging_app.templatetags", "logging_app.views")

_PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
import django
django.setup()
import logging_app.ingest, logging_app.jobs, logging_app.models, logging_app.siem
from logging_app.logs import LOGS
list(LOGS.values())
print("\\n".join(sorted(sys.modules)))
"""


def test_ingest_jobs_and_models_load_without_tables_or_template_tags():
    loaded = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout.split()

    assert "logging_app.ingest" in loaded
    assert [name for name in loaded if name.startswith(PRESENTATION)] == []
