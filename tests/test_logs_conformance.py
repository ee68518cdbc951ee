"""What every log does, whatever it is: each test runs over every registered log, and over the
ninth log of the test suite (tests/ninth_log), and reads what to expect from the log's spec.

The manual's own names are pinned elsewhere (COLUMNS in test_views_log_list.py); here a log
is held to what its module declares.
"""

import json
from datetime import UTC, datetime

import pytest
from django.core import checks
from django.utils.text import capfirst

from logging_app.logs import LOGS, LogSpec
from logging_app.logs.spec import ACCOUNT, DURATION, Column
from logging_app.tokens import ingest_token_create
from tests.factories import make_account, make_log_record, minimal_report
from tests.ninth_log import NINTH_LOG
from tests.ninth_log.log import SPEC as NINTH
from tests.page import csv_rows, log_table, main_text, parse, record_fields, row_ids

pytestmark = pytest.mark.django_db

SPECS = [*LOGS.values(), NINTH]
T0 = datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC)


@pytest.fixture(params=[spec.slug for spec in SPECS])
def spec(request, settings) -> LogSpec:
    """Each log in turn; the ninth is registered for its turn only."""
    if request.param == NINTH.slug:
        settings.CONSOLE_EXTRA_LOGS = [NINTH_LOG]
    return LOGS[request.param]


def _with_accounts(*, match: str | None = None) -> list[str]:
    """The logs with an account link (matched by `match`, if given)."""
    return [
        spec.slug
        for spec in SPECS
        if any(match in (None, link.match) for link in spec.account_links)
    ]


def _header(spec: LogSpec, name: str) -> str:
    return capfirst(spec.model._meta.get_field(name).verbose_name)


def _list(spec: LogSpec) -> str:
    return f"/logging/{spec.slug}/"


def _searched(spec: LogSpec) -> str:
    """A field the free-text filter searches and the list shows."""
    return next(name for name in spec.search_fields if spec.column(name).listed)


def test_its_list_shows_the_declared_columns_in_order(admin_client, spec):
    make_log_record(spec.slug)

    response = admin_client.get(_list(spec))

    assert response.status_code == 200
    # Less those written in another's cell on screen (Column.under).
    assert log_table(response).headers == [
        _header(spec, column.name) for column in spec.listed_columns if not column.under
    ]


def test_its_first_column_links_to_the_detail(admin_client, spec):
    record = make_log_record(spec.slug)

    table = log_table(admin_client.get(_list(spec)))
    href = table.rows[0][0].find("a").attrs["href"]
    response = admin_client.get(href)

    assert href == f"/logging/{spec.slug}/{record.pk}/"
    assert response.status_code == 200


def test_its_detail_shows_every_field_in_order(admin_client, spec):
    record = make_log_record(spec.slug, **{spec.time_field: T0})

    response = admin_client.get(f"/logging/{spec.slug}/{record.pk}/")

    fields = record_fields(response)
    assert response.status_code == 200
    assert list(fields) == [
        capfirst(field.verbose_name)
        for field in spec.model._meta.concrete_fields
        if not field.primary_key and field.name not in spec.link_fields
    ]
    assert fields[_header(spec, spec.time_field)] == "2026-11-24 09:00:05"
    for field in record._meta.concrete_fields:
        value = getattr(record, field.name)
        if isinstance(value, str) and value and field.name != "source_log":
            assert fields[capfirst(field.verbose_name)] == value, field.name


def test_its_detail_says_what_the_record_means_when_the_log_can(admin_client, spec):
    record = make_log_record(spec.slug)

    response = admin_client.get(f"/logging/{spec.slug}/{record.pk}/")

    boxes = parse(response).find_all("section", cls="what-happened")
    said = [f"What happened: {spec.explain(record)}"] if spec.explain else []
    assert [box.text for box in boxes] == said


def test_its_csv_export_has_the_listed_columns(admin_client, spec):
    field = _searched(spec)
    wanted = make_log_record(spec.slug, **{field: "needle one"})
    make_log_record(spec.slug, **{field: "hay"})

    response = admin_client.get(_list(spec), {"q": "needle", "export": "csv"})

    rows = csv_rows(response)
    # A duration's header says its unit: the page writes h:mm:ss, the file seconds.
    headers = [
        f"{_header(spec, column.name)} (seconds)"
        if column.kind == DURATION
        else _header(spec, column.name)
        for column in spec.listed_columns
    ]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{spec.slug}-' in response["Content-Disposition"]
    explained = ["What happened"] if spec.explain else []
    assert rows[0] == [f"{headers[0]} (UTC)", *headers[1:], *explained]
    assert len(rows) == 2
    assert rows[1][0] == getattr(wanted, spec.time_field).isoformat()
    if spec.explain:
        assert rows[1][-1] == spec.explain(wanted)


@pytest.mark.parametrize("spec", _with_accounts(), indirect=True)
def test_its_account_filter_finds_the_rows_linked_to_the_account(admin_client, spec):
    alice, bob = make_account(username="alice"), make_account(username="bob")
    mine = [make_log_record(spec.slug, **{link.link: alice}) for link in spec.account_links]
    for link in spec.account_links:
        make_log_record(spec.slug, **{link.link: bob})
    make_log_record(spec.slug)

    response = admin_client.get(_list(spec), {"account": "alice"})

    assert sorted(row_ids(response)) == sorted(row.pk for row in mine)


@pytest.mark.parametrize("spec", _with_accounts(match="username"), indirect=True)
def test_its_account_filter_finds_the_rows_by_the_name_received(admin_client, spec):
    # Rows stored before the account was known name it without a link.
    make_account(username="alice")
    by_name = [link.source for link in spec.account_links if link.match == "username"]
    mine = [make_log_record(spec.slug, **{source: "alice"}) for source in by_name]
    make_log_record(spec.slug)

    response = admin_client.get(_list(spec), {"account": "alice"})

    assert sorted(row_ids(response)) == sorted(row.pk for row in mine)


def _account_columns(spec: LogSpec) -> list[Column]:
    return [column for column in spec.listed_columns if column.kind == ACCOUNT]


@pytest.mark.parametrize(
    "spec", [spec.slug for spec in SPECS if _account_columns(spec)], indirect=True
)
def test_its_account_columns_link_to_the_account_page(admin_client, spec):
    shown = _account_columns(spec)
    alice = make_account(username="alice", description="Alice Rossi")
    make_log_record(spec.slug, **{column.account: alice for column in shown})

    table = log_table(admin_client.get(_list(spec)))

    for column in shown:
        # A value written under another's (a caller's number) is in that one's cell.
        cell = table.rows[0][table.headers.index(_header(spec, column.under or column.name))]
        assert set(cell.links) == {"/accounts/alice/"}, column.name
    response = admin_client.get("/accounts/alice/")
    assert response.status_code == 200
    assert "Account alice" in main_text(response)


def test_its_form_offers_every_declared_filter(admin_client, spec):
    form = parse(admin_client.get(_list(spec))).find("form", cls="filters")

    names = {
        element.attrs.get("name")
        for tag in ("input", "select", "textarea")
        for element in form.find_all(tag)
    }
    assert {"since", "until", "q", *spec.filters} <= names
    # The account filter where the log names accounts, only there.
    assert ("account" in names) == bool(spec.account_links)


def test_it_ingests_a_minimal_record(client, spec):
    _, token = ingest_token_create(name="appliance")
    record = minimal_report(spec)

    response = client.post(
        f"/api/ingest/{spec.slug}/",
        json.dumps([record]),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    key = {name: wire for wire, name in spec.ingest_names.items()}.get(spec.key_field)
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == (1, [])
    stored = spec.model.objects.get(**{spec.key_field: record[key or spec.key_field]})
    assert getattr(stored, spec.time_field) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_its_spec_passes_the_system_checks(spec):
    messages = [message.msg for message in checks.run_checks() if message.id.startswith("logs.")]

    assert [msg for msg in messages if msg.startswith(f"Log {spec.slug!r}")] == []
