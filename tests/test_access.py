"""Who gets in, and the record of it: the console's own Web Sessions events, lockout,
idle timeout, password expiry, headers, and what the support role may do."""

import threading
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from logging_app import access
from logging_app.logs import LOGS
from logging_app.models import (
    ActivationMessage,
    ConsoleUserProfile,
    SecurityEvent,
    SiemOutbox,
    WebSessionEvent,
)
from logging_app.roles import SUPPORT
from tests.factories import make_account, make_activation_message, make_log_record
from tests.page import parse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-9"


@pytest.fixture
def operator() -> User:
    return User.objects.create_user("operator", password=PASSWORD)


def _events() -> list[tuple[str, str]]:
    return list(
        WebSessionEvent.objects.order_by("date_created", "id").values_list(
            "event_type", "principal"
        )
    )


def _sign_in(client: Client, username: str, password: str, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


# --- The console's own Web Sessions events ------------------------------------------------


def test_it_records_a_sign_in_as_the_manuals_pair(client, operator):
    _sign_in(client, "operator", PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert _events() == [("SUCCESS_INTERACTIVE", "operator"), ("SUCCESS", "operator")]
    assert set(WebSessionEvent.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_it_records_a_sign_out(client, operator):
    _sign_in(client, "operator", PASSWORD)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert _events()[-1] == ("LOGOUT", "operator")
    assert client.get("/").status_code == 302


def test_it_records_a_wrong_password(client, operator):
    _sign_in(client, "operator", "wrong-password")

    assert _events() == [("FAIL_BAD_CREDENTIALS", "operator")]


def test_it_records_an_unknown_user(client):
    _sign_in(client, "ghost", "whatever-password")

    assert _events() == [("FAIL_USER_NOT_FOUND", "ghost")]


def test_it_answers_an_unknown_user_and_a_wrong_password_alike(operator):
    unknown, wrong = Client(), Client()

    first = _sign_in(unknown, "ghost", "wrong-password")
    second = _sign_in(wrong, "operator", "wrong-password")

    assert first.status_code == second.status_code == 200

    def body(response) -> str:
        text = response.content.decode()
        # Only the echoed username and the per-request tokens differ.
        text = text.replace("ghost", "NAME").replace("operator", "NAME")
        return "".join(line for line in text.splitlines() if "csrfmiddlewaretoken" not in line)

    assert body(first) == body(second)
    assert sorted(first.cookies) == sorted(second.cookies)


def test_it_sends_an_expired_password_to_choose_a_new_one(client, operator, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    ConsoleUserProfile.objects.update_or_create(
        user=operator, defaults={"password_changed_at": timezone.now() - timedelta(days=31)}
    )

    response = _sign_in(client, "operator", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/password/expired/"
    assert _events() == [("FAIL_CREDENTIALS_EXPIRED", "operator")]
    assert client.get("/").status_code == 302  # not signed in

    page = client.get("/password/expired/")
    assert "has expired" in page.content.decode()
    new_password = "a-brand-new-password-42"
    changed = client.post(
        "/password/expired/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert changed["Location"] == "/login/"
    assert _sign_in(client, "operator", new_password)["Location"] == "/"


def test_it_does_not_expire_a_fresh_password(client, operator, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30

    assert _sign_in(client, "operator", PASSWORD)["Location"] == "/"


def test_it_times_out_an_idle_session(client, operator, settings):
    _sign_in(client, "operator", PASSWORD)
    session = client.session
    session["console_last_seen"] = time.time() - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()

    response = client.get("/logging/cdr/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert _events()[-1] == ("SESSION_TIMEOUT", "anonymousUser")
    follow = client.get(response["Location"])
    assert "without activity" in follow.content.decode()
    assert client.get("/").status_code == 302


def test_it_keeps_an_active_session(client, operator):
    _sign_in(client, "operator", PASSWORD)

    assert client.get("/").status_code == 200
    assert ("SESSION_TIMEOUT", "anonymousUser") not in _events()


def test_it_rewrites_console_sign_in_failures_as_security_events(client, operator):
    _sign_in(client, "operator", "wrong-password")

    assert SecurityEvent.objects.filter(source_log="web-sessions", account_name="operator").exists()


# --- Client address ------------------------------------------------------------------------


def test_it_ignores_a_forwarded_for_header_by_default(rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")

    assert access.client_ip(request) == "10.0.0.1"


def test_it_takes_the_address_its_trusted_proxy_saw(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23")

    assert access.client_ip(request) == "198.51.100.23"


# --- Lockout ---------------------------------------------------------------------------------


def test_it_locks_out_and_clears(client, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "operator", "wrong-password")

    locked = _sign_in(client, "operator", PASSWORD)

    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    assert client.get("/").status_code == 302
    assert SecurityEvent.objects.filter(signature_id="CON-520", account_name="operator").exists()
    # Another address is not locked out.
    assert _sign_in(Client(), "operator", PASSWORD, REMOTE_ADDR="198.51.100.99").status_code == 302

    # After the cool-off period the lock is gone.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    assert _sign_in(client, "operator", PASSWORD)["Location"] == "/"


def _lock_out(client: Client, username: str = "operator", **extra) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(client, username, "wrong-password", **extra)


def _lockout_events() -> list[str]:
    return list(
        SecurityEvent.objects.filter(signature_id="CON-520")
        .order_by("timestamp", "id")
        .values_list("details", flat=True)
    )


def _lockouts_recorded_a_cool_off_ago() -> None:
    past = timezone.now() - django_settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    SecurityEvent.objects.filter(signature_id="CON-520").update(timestamp=past)


def test_it_records_a_lockout_once_however_often_the_client_retries(client, operator):
    _lock_out(client)
    security_before = SecurityEvent.objects.count()
    outbox_before = SiemOutbox.objects.count()
    web_sessions_before = WebSessionEvent.objects.count()

    refused = [_sign_in(client, "operator", "wrong-password") for _ in range(30)]

    assert {response.status_code for response in refused} == {429}
    events = SecurityEvent.objects.filter(signature_id="CON-520")
    assert events.count() == 1
    assert SiemOutbox.objects.filter(security_event__in=events).count() == 1
    # The refusals add nothing to the Security log or the SIEM outbox.
    assert SecurityEvent.objects.count() == security_before
    assert SiemOutbox.objects.count() == outbox_before
    assert WebSessionEvent.objects.count() == web_sessions_before
    details = events.get().details
    assert "suser=operator act=login_locked_out src=127.0.0.1 " in details
    assert "cn1Label=failedSignIns cn1=5 " in details


def test_it_records_the_lockout_of_a_client_however_many_connections_it_uses(operator):
    # Every request on a fresh client (no cookie), as if served by another web process.
    _lock_out(Client())

    for _ in range(10):
        assert _sign_in(Client(), "operator", "wrong-password").status_code == 429

    assert len(_lockout_events()) == 1


def test_it_records_each_locked_out_address_and_username(operator):
    _lock_out(Client(), REMOTE_ADDR="198.51.100.1")
    _lock_out(Client(), REMOTE_ADDR="198.51.100.10")
    _lock_out(Client(), username="ghost", REMOTE_ADDR="198.51.100.1")
    for address in ("198.51.100.1", "198.51.100.10"):
        _sign_in(Client(), "operator", "wrong-password", REMOTE_ADDR=address)

    events = _lockout_events()

    assert len(events) == 3
    assert [" src=198.51.100.1 " in text for text in events] == [True, False, True]
    assert "suser=ghost " in events[2]


def test_it_shows_administrators_how_many_sign_ins_the_lockout_refused(
    client, operator, admin_client
):
    _lock_out(client)
    for _ in range(30):
        _sign_in(client, "operator", PASSWORD)

    page = parse(admin_client.get("/admin/axes/accessattempt/"))

    [cell] = page.find_all("td", cls="field-failures_since_start")
    assert cell.text == "35"


def test_it_does_not_record_a_refused_sign_in_as_a_wrong_password(client, operator):
    _lock_out(client)

    assert _sign_in(client, "operator", PASSWORD).status_code == 429

    assert _events().count(("FAIL_BAD_CREDENTIALS", "operator")) == 5


def test_it_records_a_new_lockout_after_the_cool_off(client, operator, settings):
    _lock_out(client)
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    _lockouts_recorded_a_cool_off_ago()

    _lock_out(client)
    refused = _sign_in(client, "operator", "wrong-password")

    assert refused.status_code == 429
    events = _lockout_events()
    assert len(events) == 2
    assert all("cn1=5 " in text for text in events)


def test_it_records_a_new_lockout_within_the_cool_off_of_a_cleared_one(client, operator):
    _lock_out(client)
    AccessAttempt.objects.all().delete()  # what an administrator's `axes_reset` does

    _lock_out(client)

    assert len(_lockout_events()) == 2


def test_it_records_a_lasting_lockout_again_each_cool_off(client, operator):
    _lock_out(client)
    for _ in range(10):
        _sign_in(client, "operator", "wrong-password")
    # The client kept trying, so it is still locked out; its lockout was recorded a
    # cool-off ago.
    _lockouts_recorded_a_cool_off_ago()

    for _ in range(10):
        assert _sign_in(client, "operator", "wrong-password").status_code == 429

    events = _lockout_events()
    assert len(events) == 2
    assert "cn1=16 " in events[1]
    assert "operator still locked out from 127.0.0.1: 16 failed sign-ins" in events[1]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers; SQLite's in-memory test database has one",
)
@pytest.mark.django_db(transaction=True)
def test_it_records_a_lasting_lockout_once_when_refusals_arrive_together():
    User.objects.create_user("operator", password=PASSWORD)
    _lock_out(Client())
    _lockouts_recorded_a_cool_off_ago()
    # As many web processes, each refusing the same client at the same moment.
    start = threading.Barrier(8)
    answers = []

    def refuse() -> None:
        client = Client()
        start.wait()
        try:
            answers.append(_sign_in(client, "operator", "wrong-password").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refuse) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [429] * 8
    assert len(_lockout_events()) == 2


# --- Every URL needs the right person ------------------------------------------------------

OPEN_URLS = {"login", "healthz", "ingest", "admin_login", "password_expired"}


def _named_urls(resolver: URLResolver = None, prefix: str = "") -> list[tuple[str, str]]:
    """Every URL of the console with sample arguments, as (name, path)."""
    samples = {"log": "cdr", "pk": "1", "username": "alice"}
    urls = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue  # the admin site has its own guard, tested below
            urls += _named_urls(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            path = prefix + str(pattern.pattern)
            for key, value in samples.items():
                path = path.replace(f"<slug:{key}>", value).replace(f"<int:{key}>", value)
                path = path.replace(f"<str:{key}>", value)
            urls.append((pattern.name, "/" + path))
    return urls


@pytest.mark.parametrize(
    ("name", "url"), [item for item in _named_urls() if item[0] not in OPEN_URLS]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_sends_anonymous_requests_to_sign_in(client, name, url, method):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.fixture
def support(db) -> Client:
    user = User.objects.create_user("helpdesk", password=PASSWORD)
    user.groups.add(Group.objects.get(name=SUPPORT))
    client = Client()
    client.force_login(user)
    return client


def _row_counts() -> dict[str, int]:
    return {slug: spec.model.objects.count() for slug, spec in LOGS.items()}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_every_write_by_support(support, method):
    make_account(username="alice")
    for slug in LOGS:
        make_log_record(slug)
    before = _row_counts()
    urls = [url for name, url in _named_urls() if name not in OPEN_URLS | {"logout"}]
    urls += ["/admin/logging_app/cdrpolicy/1/change/", "/admin/logging_app/account/add/"]

    for url in urls:
        response = getattr(support, method)(url)
        # 400: a setting of Support's own (a saved view) refused without its name.
        assert response.status_code in (302, 400, 403, 404, 405), url

    assert _row_counts() == before


def test_it_keeps_support_out_of_the_admin_site(support):
    response = support.get("/admin/", follow=True)

    assert response.status_code == 403
    assert [url for url, _ in response.redirect_chain] == ["/admin/login/?next=/admin/"]


def test_it_sends_anonymous_visitors_of_the_admin_site_to_the_console_sign_in(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/login/?next=/admin/"
    assert response.status_code == 200


def test_it_masks_activation_tokens_for_support(support):
    message = make_activation_message(token="SECRET-TOKEN-VALUE-1234")

    detail = support.get(f"/logging/activation-messages/{message.pk}/").content.decode()
    listing = support.get("/logging/activation-messages/").content.decode()
    export = b"".join(
        support.get("/logging/activation-messages/", {"export": "csv"}).streaming_content
    ).decode()

    for text in (detail, listing, export):
        assert "SECRET-TOKEN-VALUE" not in text
    assert "1234" in detail


def test_it_shows_activation_tokens_to_administrators(admin_client):
    message = make_activation_message(token="SECRET-TOKEN-VALUE-1234")

    detail = admin_client.get(f"/logging/activation-messages/{message.pk}/").content.decode()

    assert "SECRET-TOKEN-VALUE-1234" in detail
    assert ActivationMessage.objects.count() == 1


# --- Headers and CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/", "/logging/cdr/", "/accounts/"])
def test_it_sends_the_security_headers(admin_client, url):
    response = admin_client.get(url)

    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_it_sends_hsts_over_https(admin_client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000

    response = admin_client.get("/", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_refuses_a_post_without_csrf_token(operator):
    strict = Client(enforce_csrf_checks=True)

    assert _sign_in(strict, "operator", PASSWORD).status_code == 403
    strict.force_login(operator)
    assert strict.post("/logout/").status_code == 403


# --- Exports are recorded ---------------------------------------------------------------------


def test_it_records_who_exported_what(admin_client):
    for _ in range(3):
        make_log_record("cdr", disposition="BUSY")
    make_log_record("cdr", disposition="ANSWERED")

    response = admin_client.get("/logging/cdr/", {"disposition": "BUSY", "export": "csv"})
    b"".join(response.streaming_content)

    event = SecurityEvent.objects.get(signature_id="CON-510")
    assert event.account_name == "admin"
    assert "3 Call Details Record rows as CSV" in event.details
    assert "disposition\\=BUSY" in event.details
