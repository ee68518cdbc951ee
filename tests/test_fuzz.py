"""Nothing a client sends makes the console answer 500 (issue 12).

Hypothesis draws what a client can send: the query string of every list page, the paths of
the detail and account pages, the headers and bodies of every log's ingest. Pages are
viewed in the viewer's time zone, the extreme ones included, and streamed exports are read
to their end, so that an error raised mid-stream fails the test as a 500 would.

Everything is derived from the registry, the filtersets, the tables and the models, so a
new log, filter or column is fuzzed without touching this file.

`HYPOTHESIS_PROFILE=long` runs ten times as many examples (a few minutes on SQLite).
"""

import itertools
import json
import os
import traceback
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_offset
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator
from django.db import transaction
from django.db.models import Field
from django.http import HttpResponseBase
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from logging_app import models
from logging_app.ingest import ACCOUNTS, INGEST_LOGS
from logging_app.listing.filters import filterset_for
from logging_app.listing.tables import table_for
from logging_app.logs import LOGS, LogSpec
from logging_app.middleware import SESSION_KEY
from logging_app.tokens import ingest_token_create
from tests.factories import make_account, make_log_record

pytestmark = pytest.mark.django_db

_SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        # The fixtures (a signed-in client, a few rows) are made once per test on purpose.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# Zones at the ends of the offsets (+14, -12 and the odd half and quarter hours), the
# console's own (""), and a name the time zone database does not know.
ZONES = (
    "",
    "UTC",
    "Pacific/Kiritimati",
    "Etc/GMT-14",
    "Etc/GMT+12",
    "Pacific/Pago_Pago",
    "Asia/Tokyo",
    "Asia/Kathmandu",
    "America/St_Johns",
    "America/Los_Angeles",
    "Atlantis/Capital",
)
# The zones the tests of every extreme time run in, one test each.
EXTREME_ZONES = ("UTC", "Pacific/Kiritimati", "Asia/Tokyo", "America/St_Johns", "Etc/GMT+12")

LIST_OPTIONS = ("per_page", "page", "sort", "before", "after", "export", "view")
PAGE_STATUSES = {200, 400}
INGEST_STATUSES = {200, 400, 401, 404, 405, 411, 413, 415}


@pytest.fixture(autouse=True)
def _console_time_zone_after():
    # The middleware leaves a request's zone active in the thread that served it.
    yield
    timezone.deactivate()


# --- Requests -----------------------------------------------------------------------------


def _enc(text: str) -> str:
    """`text` percent-encoded as a browser would, lone surrogates as their UTF-8 bytes."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _request(client: Client, method: str, path: str, **extra) -> tuple[HttpResponseBase, bytes]:
    """The response and its whole body, a streamed one read to its end.

    In a savepoint: on PostgreSQL a failed statement would otherwise break the test's
    transaction for every request after it.
    """
    with transaction.atomic():
        try:
            response = getattr(client, method)(path, **extra)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception as error:
            # An export that failed half way holds its server-side cursor in the frames of
            # the traceback: let go of it before the savepoint is rolled back, or closing it
            # afterwards breaks the test's transaction.
            traceback.clear_frames(error.__traceback__)
            raise
    return response, body


def _get(client: Client, path: str, query: str = "") -> tuple[HttpResponseBase, bytes]:
    return _request(client, "get", path, QUERY_STRING=query)


def _assert_page(response: HttpResponseBase, allowed: set[int], url: str) -> None:
    assert response.status_code in allowed, f"{response.status_code} for {url}"


def _view_in(client: Client, zone: str) -> None:
    """Show the client's next pages in `zone`, as the Preferences page would."""
    session = client.session
    session[SESSION_KEY] = zone
    session.save()


# --- Values a client may send --------------------------------------------------------------

# Any character at all, lone surrogates and control characters included.
_ANY_CHAR = st.characters(codec=None)
_STORABLE_CHAR = st.characters(codec="utf-8", exclude_characters="\x00")

_ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",
    "\u2028",
    "\ufeff",
    "\x7f",
    "\x1b[31m",
    "\r\n",
    "\t",
    "'; DROP TABLE logging_app_account; --",
    "%s",
    "%(x)s",
    "{}",
    "\\",
    "%",
    "_",
    "*",
    "..",
    "/",
    "é" * 300,
    "x" * 10_000,
    "9" * 5000,
)
_ODD_TEXT = st.one_of(
    st.sampled_from(_ODD_STRINGS),
    st.text(_ANY_CHAR, max_size=40),
    st.text(st.sampled_from("%&=+;#?/\\\x00 \ud800"), max_size=12),
)

_NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=2**31 - 2, max_value=2**64 + 2).map(str),
    st.sampled_from(
        (
            "0",
            "-0",
            "1",
            "-1",
            "200000000000000000",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "1" + "0" * 30,
            "9" * 5000,
            "1e3",
            "1.5",
            "0x10",
            " 7",
            "7 ",
            "+5",
            "٣",
            "１",
            "NaN",
            "inf",
        )
    ),
)

# Offsets within and beyond what the databases take (PostgreSQL: ±15:59).
_OFFSETS = ("Z", "+00:00", "+14:00", "-12:00", "+15:59", "-15:59", "+16:00", "-16:00")
_OFFSETS += ("+23:59", "-23:59", "+05:45", "+01:00:30", "+0100", "")
_EXTREME_QUERY_TIMES = (
    "0001-01-01T00:00:00",
    "0001-01-01 00:00",
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59",
    "9999-12-31 23:59:59.999999",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-23:59",
    "2026-11-24T09:15:00+16:00",
    "2026-11-24T09:15",
    "2016-12-31T23:59:60Z",
    "2026-02-30T00:00:00",
    "2026-11-24T24:00:00",
    "0000-01-01T00:00:00",
    "10000-01-01T00:00:00",
    "-2026-11-24T09:15:00",
)
_QUERY_TIMES = st.one_of(
    st.sampled_from(_EXTREME_QUERY_TIMES),
    st.builds(
        lambda moment, separator, offset: moment.isoformat(separator) + offset,
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        st.sampled_from("T "),
        st.sampled_from(_OFFSETS),
    ),
    _ODD_TEXT,
)
_CURSORS = st.one_of(
    st.builds(lambda time, pk: f"{time}_{pk}", _QUERY_TIMES, _NUMBERS),
    st.sampled_from(
        (
            "2026-11-24T09:15:00Z_1",
            "0001-01-01T00:00:00Z_1",
            "0001-01-01T00:00:00+14:00_1",
            "9999-12-31T23:59:59Z_999999999999999999",
            "9999-12-31T23:59:59-12:00_1",
            "9999-12-31T23:59:59.999999-00:01_1",
            "2026-11-24T09:15:00+16:00_1",
            "_",
            "_1",
        )
    ),
    _ODD_TEXT,
)
_EXPORTS = st.one_of(st.sampled_from(("csv", "cef", "CSV", "xlsx", "")), _ODD_TEXT)


def _choices(spec: LogSpec, name: str) -> list[str]:
    filter_ = filterset_for(spec).base_filters[name]
    return [str(value) for value, _ in filter_.extra.get("choices") or ()]


def _columns(spec: LogSpec) -> list[str]:
    return list(table_for(spec).base_columns)


def _value_for(spec: LogSpec, name: str) -> st.SearchStrategy[str]:
    """What a client may give parameter `name` of the list of `spec`: sensible or not."""
    if name in ("since", "until"):
        specific = _QUERY_TIMES
    elif name in ("before", "after"):
        specific = _CURSORS
    elif name in ("page", "per_page"):
        specific = st.one_of(st.sampled_from(("25", "50", "100", "200")), _NUMBERS)
    elif name == "sort":
        columns = _columns(spec)
        specific = st.one_of(
            st.sampled_from(columns + [f"-{column}" for column in columns]),
            st.sampled_from(("id", "-id", "pk", "--timestamp", "account__username", "a,b")),
        )
    elif name == "export":
        specific = _EXPORTS
    elif name == "view":  # a saved view: the rows fixture's are the first few numbers
        specific = st.one_of(st.sampled_from([str(n) for n in range(1, 2 * len(LOGS))]), _NUMBERS)
    elif name == "range":
        specific = st.one_of(
            st.builds(lambda n, unit: f"{n}{unit}", _NUMBERS, st.sampled_from("hdHDwm ")),
            st.sampled_from(("1h", "24h", "7d", "30d", "87840h", "3660d", "3661d", "0h", "")),
        )
    elif name in filterset_for(spec).base_filters and _choices(spec, name):
        specific = st.sampled_from(_choices(spec, name))
    else:  # account, q, the other fields, an unknown parameter
        specific = st.one_of(
            st.sampled_from(
                (
                    "alice",
                    "ALICE",
                    "+390612340001",
                    "198.51.100.20",
                    "198.51.100.20:5060",
                    "fe80::1%eth0",
                    "::ffff:1.2.3.4",
                    str(uuid.UUID(int=0)),
                    "1732440900.17",
                    "true",
                    "false",
                    "unknown",
                )
            ),
            st.uuids().map(str),
        )
    return st.one_of(specific, _ODD_TEXT)


@st.composite
def _list_queries(draw, spec: LogSpec) -> str:
    """A query string: parameters of the list, repeated or unknown, and raw garbage."""
    names = st.one_of(
        st.sampled_from([*filterset_for(spec).base_filters, *LIST_OPTIONS]),
        _ODD_TEXT,
    )
    parts = []
    for name in draw(st.lists(names, max_size=7)):
        parts.append(f"{_enc(name)}={_enc(draw(_value_for(spec, name)))}")
    if draw(st.booleans()):
        raw = ("%", "%zz", "%ff%fe", "%00", "&", "=", "==", ";", "+", "%E2%82", "%ED%A0%80")
        raw += ("a=%", "%%", "\xff", "é", "sort", "export=csv&export=cef")
        at = draw(st.integers(0, len(parts)))
        parts.insert(at, draw(st.sampled_from(raw)))
    return "&".join(parts)


# --- Rows to look at -----------------------------------------------------------------------

ODD_USERNAMES = ("o'brien", "名前", "a b", "a%b", "a?b", "a#b", "-", ".", "..", "x" * 150)


@pytest.fixture
def rows(db) -> dict[str, list[int]]:
    """A few rows of every log, and accounts with odd names: the ids by log."""
    alice = make_account(username="alice", virtual_number="+390612340001")
    for name in ODD_USERNAMES:
        make_account(username=name)
    ids = {}
    owner = User.objects.create_user("saver")
    for slug in LOGS:
        links = {link.link: alice for link in LOGS[slug].account_links[:1]}
        ids[slug] = [make_log_record(slug, **links).pk, make_log_record(slug).pk]
        # Saved views of every log, one shared and one not, hiding a column that is none.
        for shared in (True, False):
            models.SavedView.objects.create(
                owner=owner,
                log=slug,
                name=f"{slug} {shared}",
                shared=shared,
                query="range=7d&q=%00&sort=nope",
                hidden=["nope"],
            )
    return ids


# --- The list pages ------------------------------------------------------------------------


@_fuzz(300)
@given(data=st.data(), slug=st.sampled_from(list(LOGS)), zone=st.sampled_from(ZONES))
def test_it_answers_any_list_query_without_a_server_error(admin_client, rows, data, slug, zone):
    query = data.draw(_list_queries(LOGS[slug]), label="query")
    _view_in(admin_client, zone)

    response, _ = _get(admin_client, f"/logging/{slug}/", query)

    _assert_page(response, PAGE_STATUSES, f"/logging/{slug}/?{query} in {zone!r}")
    event(f"answered {response.status_code}")


@_fuzz(60)
@given(
    data=st.data(),
    slug=st.sampled_from(list(LOGS)),
    zone=st.sampled_from(ZONES),
    export=st.sampled_from(("csv", "cef")),
)
def test_it_exports_any_filtered_list_to_its_end(admin_client, rows, data, slug, zone, export):
    query = data.draw(_list_queries(LOGS[slug]), label="query") + f"&export={export}"
    _view_in(admin_client, zone)

    response, body = _get(admin_client, f"/logging/{slug}/", query)

    _assert_page(response, PAGE_STATUSES, f"/logging/{slug}/?{query} in {zone!r}")
    if response.status_code == 200 and export == "csv":
        assert response.streaming and body, "a CSV export has at least its header"


@_fuzz(60)
@given(
    slug=st.sampled_from(list(LOGS)),
    name=st.sampled_from(("since", "until", "before", "after")),
    value=st.one_of(st.sampled_from(_EXTREME_QUERY_TIMES), _CURSORS),
    zone=st.sampled_from(ZONES),
    export=st.sampled_from(("", "&export=csv")),
)
def test_it_takes_extreme_times_in_any_zone(admin_client, rows, slug, name, value, zone, export):
    query = f"{name}={_enc(value)}{export}"
    _view_in(admin_client, zone)

    response, _ = _get(admin_client, f"/logging/{slug}/", query)

    _assert_page(response, PAGE_STATUSES, f"/logging/{slug}/?{query} in {zone!r}")


@pytest.mark.parametrize("zone", ["", *EXTREME_ZONES])
def test_it_takes_every_extreme_time_in_an_extreme_zone(admin_client, rows, zone):
    # Each time as `since`, `until`, and in a cursor, on the lists in turn, then exported.
    slugs = itertools.cycle(LOGS)
    times = [(name, time) for time in _EXTREME_QUERY_TIMES for name in ("since", "until")]
    cursors = [(name, f"{time}_1") for time in _EXTREME_QUERY_TIMES for name in ("before", "after")]
    pages = [
        (f"/logging/{next(slugs)}/", f"{name}={_enc(value)}{export}", PAGE_STATUSES)
        for name, value in times + cursors
        for export in ("", "&export=csv")
    ]
    _view_in(admin_client, zone)

    assert _failures(admin_client, pages) == []


def test_it_sorts_every_list_by_every_column_either_way(admin_client, rows):
    pages = [
        (f"/logging/{slug}/", f"sort={sort}{page}", {200})
        for slug, spec in LOGS.items()
        for column in _columns(spec)
        for sort in (column, f"-{column}")
        for page in ("", "&page=2", "&export=csv")
    ]
    # A page past any list: a form error at worst.
    pages += [(url, f"{query}&page=200000000000000000", {200, 400}) for url, query, _ in pages]

    assert _failures(admin_client, pages) == []


@_fuzz(30)
@given(data=st.data(), slug=st.sampled_from(list(LOGS)), export=st.sampled_from(("", "csv")))
def test_support_staff_get_no_server_error_either(support_client, rows, data, slug, export):
    query = data.draw(_list_queries(LOGS[slug]), label="query")
    if export:
        query += f"&export={export}"

    response, _ = _get(support_client, f"/logging/{slug}/", query)

    _assert_page(response, PAGE_STATUSES, f"/logging/{slug}/?{query} as Support")


# --- Detail and account pages --------------------------------------------------------------

_IDS = st.one_of(
    st.integers(min_value=0).map(str),
    st.integers(min_value=2**63 - 2, max_value=10**40).map(str),
    st.sampled_from(("0", "00", "01", "9" * 19, "9" * 5000, "-1", "1e3", "1.0", " 1", "٣")),
)


@_fuzz(80)
@given(
    slug=st.sampled_from(list(LOGS)),
    pk=st.one_of(_IDS, st.just("existing")),
    zone=st.sampled_from(ZONES),
    support=st.booleans(),
)
def test_it_answers_any_detail_path(admin_client, support_client, rows, slug, pk, zone, support):
    client = support_client if support else admin_client
    if pk == "existing":
        pk = str(rows[slug][0])
    _view_in(client, zone)
    url = f"/logging/{slug}/{_enc(pk)}/"

    response, _ = _get(client, url)

    exists = pk.isascii() and pk.isdigit() and len(pk) < 30 and int(pk) in rows[slug]
    _assert_page(response, {200} if exists else {404}, f"{url} in {zone!r}")


@_fuzz(80)
@given(
    name=st.one_of(st.sampled_from(("alice", *ODD_USERNAMES)), _ODD_TEXT),
    query=_ODD_TEXT,
    zone=st.sampled_from(ZONES),
    support=st.booleans(),
)
def test_it_answers_any_account_page(
    admin_client, support_client, rows, name, query, zone, support
):
    client = support_client if support else admin_client
    _view_in(client, zone)

    response, _ = _get(client, "/accounts/", f"q={_enc(query)}")
    _assert_page(response, PAGE_STATUSES, f"/accounts/?q={_enc(query)}")

    url = f"/accounts/{_enc(name)}/"
    response, _ = _get(client, url)
    _assert_page(response, {200, 404}, f"{url} in {zone!r}")


@_fuzz(30)
@given(
    path=st.sampled_from(
        (
            "/",
            "/statistics/",
            "/calls/{}/",
            "/preferences/",
            "/views/",
            "/views/{}/",
            "/views/{}/edit/",
            "/views/{}/delete/",
        )
    ),
    segment=_ODD_TEXT,
    query=st.one_of(_list_queries(LOGS["cdr"]), _ODD_TEXT.map(_enc)),
    zone=st.sampled_from(ZONES),
)
def test_it_answers_the_other_pages(admin_client, rows, path, segment, query, zone):
    # /calls/ and /statistics/ are in the DESIGN's URL table; 404 until they exist.
    url = path.format(_enc(segment) or "x")
    _view_in(admin_client, zone)

    response, _ = _get(admin_client, url, query)

    allowed = {200, 400, 404} | ({302} if path.startswith("/views/") else set())  # opened
    _assert_page(response, allowed, f"{url}?{query} in {zone!r}")


@_fuzz(60)
@given(
    data=st.data(),
    slug=st.sampled_from(list(LOGS)),
    name=_ODD_TEXT,
    shared=st.sampled_from(("", "on", "off", "\x00")),
    hidden=st.lists(
        st.one_of(_ODD_TEXT, st.sampled_from(("caller", "timestamp", "id"))), max_size=3
    ),
)
def test_it_saves_any_view_without_a_server_error(
    support_client, rows, data, slug, name, shared, hidden
):
    query = data.draw(_list_queries(LOGS[slug]))
    fields = [("name", name), ("shared", shared), ("query", query)]
    fields += [("hidden", column) for column in hidden]
    # Encoded by hand: a browser sends lone surrogates, which the test client cannot.
    body = "&".join(f"{key}={_enc(value)}" for key, value in fields)
    response, _ = _request(
        support_client,
        "post",
        f"/logging/{slug}/views/",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )

    _assert_page(response, {302, 400}, f"{slug}: {body!r}")
    if response.status_code == 302:
        opened, _ = _get(support_client, *response["Location"].split("?", 1))
        _assert_page(opened, PAGE_STATUSES, response["Location"])


@_fuzz(30)
@given(zone=st.one_of(st.sampled_from(ZONES), _ODD_TEXT))
def test_it_answers_any_preferred_time_zone(admin_client, zone):
    response, _ = _request(
        admin_client,
        "post",
        "/preferences/",
        data=f"time_zone={_enc(zone)}",
        content_type="application/x-www-form-urlencoded",
    )

    _assert_page(response, {302, 400}, f"POST /preferences/ time_zone={zone!r}")
    response, _ = _get(admin_client, "/")
    _assert_page(response, {200}, f"/ after choosing {zone!r}")


# --- Ingest --------------------------------------------------------------------------------


def _wire_fields(log: str) -> dict[str, Field]:
    """The fields a log takes on the wire, by wire name, with the model field behind each."""
    if log == ACCOUNTS:
        account = models.Account._meta.get_field
        return {
            "username": account("username"),
            "description": account("description"),
            "virtual_number": account("virtual_number"),
            "group": models.AccountGroup._meta.get_field("name"),
        }
    spec = LOGS[log]
    wire_names = {model_name: wire for wire, model_name in spec.ingest_names.items()}
    server_side = {*spec.link_fields, "reconciled"}
    return {
        wire_names.get(field.name, field.name): field
        for field in spec.model._meta.concrete_fields
        if not field.primary_key and field.name not in server_side
    }


def _key(log: str) -> str:
    return "username" if log == ACCOUNTS else LOGS[log].key_field


def _model(log: str) -> type:
    return models.Account if log == ACCOUNTS else LOGS[log].model


def _is_integer(field: Field) -> bool:
    return field.get_internal_type().endswith("IntegerField")


def _integer_high(field: Field) -> int:
    limits = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return min([1000, *limits])


def _valid_value(field: Field) -> st.SearchStrategy:
    """Values the field takes."""
    kind = field.get_internal_type()
    if field.choices:
        return st.sampled_from([value for value, _ in field.flatchoices])
    if kind == "DateTimeField":
        zones = st.sampled_from(
            [
                UTC,
                ZoneInfo("Asia/Tokyo"),
                ZoneInfo("America/St_Johns"),
                fixed_offset(-timedelta(hours=12)),
            ]
        )
        moments = st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=zones
        )
        return moments.map(datetime.isoformat)
    if kind == "UUIDField":
        # Hypothesis favours a few UUIDs (all zeros): fresh ones keep records from being
        # replays of an earlier example's.
        return st.one_of(st.builds(uuid.uuid4), st.uuids()).map(str)
    if kind == "BooleanField":
        return st.booleans()
    if kind == "GenericIPAddressField":
        return st.ip_addresses().map(str)
    if _is_integer(field):
        return st.integers(min_value=0, max_value=_integer_high(field))
    size = min(field.max_length or 40, 40)
    return st.text(_STORABLE_CHAR, min_size=0 if field.blank else 1, max_size=size)


_WIRE_TIMES = (
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00-23:59",
    "0001-01-01T23:59:59+15:59",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+23:59",
    "9999-12-31T00:00:00-15:59",
    "2026-11-24T09:15:00+16:00",
    "2026-11-24T09:15:00-16:00",
    "2026-11-24T09:15:00+15:59",
    "2026-11-24T09:15:00+01:00:30.5",
    "2016-12-31T23:59:60Z",
    "2026-02-30T00:00:00Z",
    "2026-11-24T24:00:00Z",
    "2026-11-24T09:15:00",
    "2026-11-24",
    "2026-W48-2T09:15:00Z",
    "20261124T091500Z",
    "2026-11-24T09:15:00.123456789Z",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00+00:01",
    "2099-12-31T23:59:59.999999Z",
    "2100-01-01T00:00:00Z",
    "2099-12-31T23:59:59-00:01",
    "2038-01-19T03:14:08Z",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-2026-11-24T09:15:00Z",
)
_IP_ADDRESSES = (
    "fe80::1%eth0",
    "fe80::1%25eth0",
    "fe80::1%1",
    "::ffff:192.0.2.1",
    "::ffff:0:0",
    "::",
    "::1",
    "0.0.0.0",
    "255.255.255.255",
    "2001:db8::1",
    "1.2.3.4:5060",
    "[::1]:5060",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4/24",
)
_UUIDS = (
    "00000000-0000-0000-0000-000000000000",
    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
    "0123456789abcdef0123456789abcdef",
    "{01234567-89ab-cdef-0123-456789abcdef}",
    "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
    "01234567-89ab-cdef-0123-456789abcdeg",
    "0123456789abcdef0123-456789abcdef",
)
# Values of the wrong type or at the ends of a type, for any field. (No integer of more
# than 4,300 digits: Python refuses to parse those, and the whole body would be a 400.)
NASTY_VALUES = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e308,
    -0.0,
    float("nan"),
    float("inf"),
    2**15,
    2**31 - 1,
    2**31,
    2**32,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    10**400,
    [],
    {},
    [1],
    {"a": 1},
    *_ODD_STRINGS,
    *_WIRE_TIMES,
    *_IP_ADDRESSES,
    *_UUIDS,
)
_GARBAGE = st.one_of(
    st.sampled_from(NASTY_VALUES),
    st.integers(),
    st.floats(),
    st.text(_ANY_CHAR, max_size=40),
    st.lists(st.integers(), max_size=3),
)


@st.composite
def _records(draw, log: str) -> object:
    """A record of `log`: its real fields with valid values, a few of them spoiled (left
    out, null, garbage, an odd time), and now and then an unknown field or not an object."""
    if draw(st.sampled_from(("record",) * 19 + ("not an object",))) != "record":
        return draw(_GARBAGE)
    fields = _wire_fields(log)
    record = {name: draw(_valid_value(field)) for name, field in fields.items()}
    for name in draw(st.lists(st.sampled_from(list(fields)), max_size=3, unique=True)):
        fate = draw(st.sampled_from(("omitted", "null", "garbage", "odd time")))
        if fate == "omitted":
            del record[name]
        elif fate == "null":
            record[name] = None
        elif fate == "odd time" and fields[name].get_internal_type() == "DateTimeField":
            record[name] = draw(st.sampled_from(_WIRE_TIMES))
        else:
            record[name] = draw(_GARBAGE)
    if draw(st.sampled_from(("known",) * 9 + ("unknown field",))) != "known":
        record[draw(_ODD_TEXT)] = draw(_GARBAGE)
    return record


@pytest.fixture
def bearer() -> dict[str, str]:
    _, plain = ingest_token_create(name="fuzz")
    return {"Authorization": f"Bearer {plain}"}


def _post(client: Client, log: str, body: bytes, content_type: str, headers: dict, query=""):
    return _request(
        client,
        "post",
        f"/api/ingest/{log}/",
        data=body,
        content_type=content_type,
        headers=headers,
        QUERY_STRING=query,
    )


def _stored(log: str) -> int:
    return _model(log).objects.count()


def _assert_json(response: HttpResponseBase, body: bytes) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    answer = json.loads(body)
    if response.status_code != 200:
        assert answer["error"]
    return answer


def _assert_counts(answer: dict, size: int) -> None:
    counted = ("accepted", "updated", "duplicates", "discarded")
    total = sum(answer.get(name, 0) for name in counted) + len(answer["rejected"])
    assert total == size, f"{answer} for {size} records"


def _ndjson(items: Iterable[object]) -> bytes:
    return "\n".join(json.dumps(item) for item in items).encode()


@_fuzz(150)
@given(
    data=st.data(),
    log=st.sampled_from(INGEST_LOGS),
    as_ndjson=st.booleans(),
    replay=st.booleans(),
)
def test_it_ingests_any_records_without_a_server_error(
    client, bearer, data, log, as_ndjson, replay
):
    records = data.draw(st.lists(_records(log), max_size=6), label="records")
    if replay and records:
        # Replays of records of the same batch: duplicates, or updates in place.
        records += data.draw(st.lists(st.sampled_from(records), max_size=3), label="replays")
    if as_ndjson:
        content_type = data.draw(
            st.sampled_from(("application/x-ndjson", "application/ndjson", "application/jsonl"))
        )
        garbage = data.draw(st.lists(st.text(_ANY_CHAR, max_size=20), max_size=2), label="lines")
        lines = [json.dumps(record) for record in records] + [
            line.replace("\n", " ") for line in garbage
        ]
        body = "\n".join(lines).encode("utf-8", "surrogatepass")
        size = sum(1 for line in lines if line.strip(" \t\r\n"))
    else:
        content_type = data.draw(
            st.sampled_from(("application/json", "application/json; charset=utf-8"))
        )
        body, size = json.dumps(records).encode(), len(records)
    before = _stored(log)

    response, answer_body = _post(client, log, body, content_type, bearer)

    # A line of lone surrogates is not UTF-8: the whole body is refused. The test client
    # sends an empty body without its content type.
    expected = {200, 400} if as_ndjson else {200}
    assert response.status_code in (expected if body else {415}), answer_body[:500]
    answer = _assert_json(response, answer_body)
    if response.status_code == 200:
        _assert_counts(answer, size)
        assert _stored(log) - before == answer["accepted"]
        event(f"{log}: {'some' if answer['accepted'] else 'none'} accepted")


def _base_record(log: str, n: int) -> dict:
    """A valid record of `log`, its key unique."""
    record = {}
    for name, field in _wire_fields(log).items():
        if field.choices:
            value = field.flatchoices[0][0]
        else:
            value = {
                "DateTimeField": "2026-11-24T09:15:00+01:00",
                "UUIDField": str(uuid.uuid4()),
                "BooleanField": True,
                "GenericIPAddressField": "192.0.2.1",
            }.get(field.get_internal_type(), 1 if _is_integer(field) else f"value-{n}")
        record[name] = value
    record[_key(log)] = f"user-{uuid.uuid4()}" if log == ACCOUNTS else str(uuid.uuid4())
    return record


def _poisoned_batch(log: str) -> list[dict]:
    """One valid record per nasty value of each field: that field takes that value."""
    batch = []
    for name in _wire_fields(log):
        for value in NASTY_VALUES:
            batch.append(_base_record(log, len(batch)) | {name: value})
    return batch


@pytest.mark.parametrize("size", ["small", "copy"], ids=["insert", "copy"])
@pytest.mark.parametrize("log", INGEST_LOGS)
def test_it_stores_the_valid_records_of_a_poisoned_batch(client, bearer, log, size):
    # Each record carries one nasty value; on PostgreSQL a batch of 1,000 records or more
    # takes the COPY path, which checks values differently from an INSERT.
    batch = _poisoned_batch(log)
    if size == "copy":
        batch += [_base_record(log, n) for n in range(max(0, 1100 - len(batch)))]
    else:
        batch = batch[:900]
    before = _stored(log)

    response, body = _post(client, log, json.dumps(batch).encode(), "application/json", bearer)

    assert response.status_code == 200, body[:500]
    answer = _assert_json(response, body)
    _assert_counts(answer, len(batch))
    assert _stored(log) - before == answer["accepted"]


@_fuzz(12)
@given(data=st.data(), log=st.sampled_from(INGEST_LOGS))
def test_it_stores_a_large_batch_around_any_record(client, bearer, data, log):
    poison = data.draw(st.lists(_records(log), min_size=1, max_size=3), label="poison")
    batch = [_base_record(log, n) for n in range(1000)]
    at = data.draw(st.integers(0, len(batch)), label="at")
    batch[at:at] = poison
    before = _stored(log)

    response, body = _post(client, log, json.dumps(batch).encode(), "application/json", bearer)

    assert response.status_code == 200, body[:500]
    answer = _assert_json(response, body)
    _assert_counts(answer, len(batch))
    assert _stored(log) - before == answer["accepted"]


_DEEP = 100_000
PATHOLOGICAL_BODIES = {
    "deep-array": b"[" * _DEEP,
    "deep-array-closed": b"[" * _DEEP + b"]" * _DEEP,
    "deep-object": b'{"a":' * _DEEP,
    "deep-in-record": b'[{"event_id":' + b"[" * _DEEP + b"]" * _DEEP + b"}]",
    "huge-integer": b"[" + b"9" * 5000 + b"]",
    "huge-integer-field": b'[{"severity": ' + b"9" * 5000 + b"}]",
    "huge-float": b'[{"severity": 1e999}]',
    "nan": b'[{"severity": NaN}]',
    "bom": b"\xef\xbb\xbf[]",
    "utf-16": "[]".encode("utf-16"),
    "latin-1": '[{"caller": "é"}]'.encode("latin-1"),
    "lone-surrogate-escape": b'[{"caller": "\\ud800"}]',
    "encoded-surrogate": b'[{"caller": "\xed\xa0\x80"}]',
    "nul": b"\x00",
    "nul-in-string": b'[{"caller": "a\x00b"}]',
    "null": b"null",
    "object": b"{}",
    "empty-array": b"[]",
    "empty": b"",
    "whitespace": b" \n\t\r ",
    "many-empty-objects": b"[" + b"{}," * 100_000 + b"{}]",
    "duplicate-keys": b'[{"event_id": "x", "event_id": "y"}]',
}


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
@pytest.mark.parametrize("body", PATHOLOGICAL_BODIES.values(), ids=PATHOLOGICAL_BODIES.keys())
@pytest.mark.parametrize("log", ["cdr", "security", "accounts"])
def test_it_answers_a_pathological_body_with_json(client, bearer, log, body, content_type):
    response, answer = _post(client, log, body, content_type, bearer)

    assert response.status_code in {200, 400, 413, 415}, answer[:500]
    _assert_json(response, answer)


_CONTENT_TYPES = (
    "application/json",
    "APPLICATION/JSON",
    "application/json; charset=latin-1",
    "application/x-ndjson",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
)


@_fuzz(60)
@given(
    log=st.one_of(
        st.sampled_from(INGEST_LOGS), st.from_regex(r"[-a-zA-Z0-9_]{1,20}", fullmatch=True)
    ),
    authorization=st.one_of(
        st.just("valid"),
        st.sampled_from(("", "Bearer", "Bearer ", "bearer valid", "Basic dXNlcjpwYXNz")),
        st.text(st.characters(codec="latin-1"), max_size=60).map(lambda text: f"Bearer {text}"),
    ),
    content_type=st.one_of(
        st.sampled_from(_CONTENT_TYPES),
        # Header values are Latin-1; a charset the test client cannot encode in is left out.
        st.text(st.characters(codec="latin-1"), max_size=40).filter(
            lambda text: "charset" not in text.lower()
        ),
    ),
    query=st.one_of(
        st.just(""), st.sampled_from(("token=x", "access_token=x", "KEY=x")), _ODD_TEXT.map(_enc)
    ),
)
def test_it_answers_any_ingest_request_with_json(
    client, bearer, log, authorization, content_type, query
):
    if authorization == "valid":
        headers = bearer
    elif authorization == "bearer valid":
        headers = {"Authorization": "bearer " + bearer["Authorization"].split(" ", 1)[1]}
    else:
        headers = {"Authorization": authorization} if authorization else {}
    body = json.dumps([_base_record(log if log in INGEST_LOGS else "cdr", 0)]).encode()

    response, answer = _post(client, log, body, content_type, headers, query)

    assert response.status_code in INGEST_STATUSES, answer[:500]
    _assert_json(response, answer)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options"])
def test_it_answers_other_methods_with_json(client, bearer, method):
    body = (
        {} if method in ("get", "options") else {"data": b"[]", "content_type": "application/json"}
    )

    response, answer = _request(client, method, "/api/ingest/cdr/", headers=bearer, **body)

    assert response.status_code == 405, answer[:500]
    _assert_json(response, answer)


# --- Extreme stored times, viewed in extreme zones -----------------------------------------

# What the appliance could send at the ends of the calendar: ingest keeps those it accepts.
EXTREME_WIRE_TIMES = (
    "1970-01-01T00:00:00Z",
    "1970-01-01T15:59:00+15:59",
    "2099-12-31T23:59:59.999999Z",
    "2099-12-31T08:00:00-15:59",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-15:59",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59+15:59",
)
EXTREME_MOMENTS = (
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 15, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 8, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)
EXTREME_USER = "extreme"
EXTREME_NUMBER = "+390600000001"


def _extreme_records(log: str, moment: str) -> dict:
    """A record of `log` at `moment` in each of its times, naming the extreme account
    wherever it names an account (by username, or by number)."""
    record = _base_record(log, 0)
    for name, field in _wire_fields(log).items():
        if field.get_internal_type() == "DateTimeField":
            record[name] = moment
    spec = LOGS[log]
    wire_names = {model_name: wire for wire, model_name in spec.ingest_names.items()}
    extreme = {"username": EXTREME_USER, "virtual_number": EXTREME_NUMBER}
    for link in spec.account_links:
        record[wire_names.get(link.source, link.source)] = extreme[link.match]
    return record


def _every_page(slugs: Iterable[str]) -> list[tuple[str, str]]:
    """Each page that shows the stored rows: overview, lists and exports, details, accounts."""
    pages = [("/", ""), (f"/accounts/{EXTREME_USER}/", ""), ("/accounts/", f"q={EXTREME_USER}")]
    for slug in slugs:
        url = f"/logging/{slug}/"
        pages += [(url, ""), (url, "export=csv"), (url, "sort=-" + LOGS[slug].time_field)]
        pages += [(url, "since=0001-01-01T00:00:00&until=9999-12-31T23:59:59")]
        pages += [(url, f"account={EXTREME_USER}"), (url, f"account={EXTREME_USER}&export=csv")]
        pages += [(url, f"export={name}") for name in LOGS[slug].exports]
        for pk in LOGS[slug].model.objects.values_list("pk", flat=True):
            pages.append((f"{url}{pk}/", ""))
    return pages


def _failures(client: Client, pages: list[tuple]) -> list[str]:
    """Every page that did not answer 200 (or a status of its own), and what it answered or
    raised: (url, query) or (url, query, statuses)."""
    failures = []
    for url, query, *statuses in pages:
        allowed = statuses[0] if statuses else {200}
        try:
            response, _ = _get(client, url, query)
        except Exception as error:  # each failure is reported, not only the first
            failures.append(f"{url}?{query}: {type(error).__name__}: {error}")
        else:
            if response.status_code not in allowed:
                failures.append(f"{url}?{query}: {response.status_code}")
    return failures


def _choose_zone(client: Client, zone: str) -> None:
    response = client.post("/preferences/", {"time_zone": zone})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize("zone", EXTREME_ZONES)
def test_it_shows_ingested_extreme_times_in_any_zone(admin_client, bearer, zone):
    make_account(username=EXTREME_USER, virtual_number=EXTREME_NUMBER)
    for log in LOGS:
        batch = [_extreme_records(log, moment) for moment in EXTREME_WIRE_TIMES]
        response, body = _post(
            admin_client, log, json.dumps(batch).encode(), "application/json", bearer
        )
        assert response.status_code == 200, body[:500]
        _assert_counts(_assert_json(response, body), len(batch))
    _choose_zone(admin_client, zone)

    assert _failures(admin_client, _every_page(LOGS)) == []


@pytest.mark.parametrize("zone", EXTREME_ZONES)
def test_it_shows_stored_extreme_times_in_any_zone(admin_client, zone):
    # Rows stored before ingest checked for a plausible date, or by hand.
    account = make_account(username=EXTREME_USER, virtual_number=EXTREME_NUMBER)
    for slug, spec in LOGS.items():
        times = [
            f.name
            for f in spec.model._meta.concrete_fields
            if f.get_internal_type() == "DateTimeField"
        ]
        links = {
            f.name: account for f in spec.model._meta.concrete_fields if f.name in spec.link_fields
        }
        for moment in EXTREME_MOMENTS:
            # Made at an ordinary time, then moved: the factories add days to their times.
            row = make_log_record(slug, **links)
            spec.model.objects.filter(pk=row.pk).update(**dict.fromkeys(times, moment))
    _choose_zone(admin_client, zone)

    assert _failures(admin_client, _every_page(LOGS)) == []
