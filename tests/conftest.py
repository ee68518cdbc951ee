"""Fixtures shared by the whole suite: plain static files and the console's kinds of user.

pytest-django's own `admin_client` is the signed-in superuser (the Administrators role).
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from logging_app import partitions
from logging_app.health import CACHE_KEY
from logging_app.logs import LOGS, LogSpec
from logging_app.roles import SUPPORT
from tests.ninth_log import NINTH_LOG


@pytest.fixture(autouse=True)
def _plain_static_files(settings) -> None:
    # Production settings keep static files in a manifest, which exists only after
    # collectstatic; pages rendered in tests need plain URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _partitions_read_afresh() -> None:
    # A process keeps the bounds of the time partitions for a minute (partitions.py); each
    # test's database has its own partitions (a test's DDL is rolled back with it).
    partitions.forget_boundaries()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Every signed-in client makes a user; PBKDF2's deliberate slowness (~0.4 s a
    # password) would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_health() -> None:
    # The appliance's health is kept a few seconds in the cache (logging_app/health.py):
    # each test reads its own data.
    cache.delete(CACHE_KEY)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support_user(db) -> User:
    """A Support user: the view permissions of the log and account models, not staff."""
    user = User.objects.create_user("support", password="support-password-123")
    # The group and its permissions come from the roles migration.
    user.groups.add(Group.objects.get(name=SUPPORT))
    return user


@pytest.fixture
def support_client(support_user: User) -> Client:
    return _signed_in(support_user)


@pytest.fixture
def no_perm_client(db) -> Client:
    """Signed in, but with no permission at all."""
    return _signed_in(User.objects.create_user("nobody", password="nobody-password-123"))


@pytest.fixture
def ninth_log(settings) -> LogSpec:
    """The ninth log (tests/ninth_log) registered for this test only, after the eight."""
    settings.CONSOLE_EXTRA_LOGS = [NINTH_LOG]
    return LOGS["voicemail"]
