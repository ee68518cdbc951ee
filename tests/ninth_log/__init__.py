"""A ninth log, defined only in the test suite: an app of its own and one log module.

It shows that a log the console does not know by name works with no change to the
console: the app holds the model (`models.py`, no migrations: the test database makes
its table), `log.py` its spec. Tests register it with
`settings.CONSOLE_EXTRA_LOGS = [NINTH_LOG]`, so that every other test sees eight logs.
"""

NINTH_LOG = "tests.ninth_log.log"
