"""The console's settings with the test suite's own app installed: the ninth log's.

Its log is not registered here: the tests that use it register it themselves
(`settings.CONSOLE_EXTRA_LOGS`), so that every other test sees the console's eight logs.
"""

from console.settings import *  # noqa: F403
from console.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.ninth_log"]
