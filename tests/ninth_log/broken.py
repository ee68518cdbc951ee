"""The ninth log declared wrongly: a column naming no field, and a time no index leads.

The system checks refuse it at start-up (logging_app/checks.py).
"""

from dataclasses import replace

from logging_app.logs.spec import TIMESTAMP, Column

from .log import SPEC as GOOD

SPEC = replace(
    GOOD,
    slug="voicemail-broken",
    time_field="heard",
    columns=(Column("heard", TIMESTAMP), *GOOD.columns[1:], Column("transcript")),
)
