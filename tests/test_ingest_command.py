"""`manage.py ingest <log> <file|->`: NDJSON through the ingest service, from a file or stdin."""

import io
import json
import sys
import uuid

import pytest
from django.core.management import CommandError, call_command

from logging_app import models

pytestmark = pytest.mark.django_db


def _system_event(**overrides) -> dict:
    record = {
        "event_id": str(uuid.uuid4()),
        "timestamp": "2026-11-24T03:00:00Z",
        "event_type": "BACKUP",
        "message": "Nightly backup completed",
    }
    return record | overrides


def _line(**overrides) -> str:
    return json.dumps(_system_event(**overrides))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(*args: str, stderr: io.StringIO | None = None) -> tuple[dict, str]:
    stdout, stderr = io.StringIO(), stderr or io.StringIO()
    call_command("ingest", *args, stdout=stdout, stderr=stderr)
    return json.loads(stdout.getvalue()), stderr.getvalue()


def test_it_stores_a_file_and_prints_the_summary(tmp_path):
    path = tmp_path / "system.ndjson"
    path.write_text("\n".join([_line(), _line(), ""]) + "\n")

    summary, readable = _run("system", str(path))

    assert summary == {
        "accepted": 2,
        "updated": 0,
        "duplicates": 0,
        "discarded": 0,
        "rejected": [],
    }
    assert "system: 2 accepted" in readable
    assert models.SystemEvent.objects.count() == 2


def test_it_reports_bad_lines_by_file_line_number_and_stores_the_others(tmp_path):
    path = tmp_path / "system.ndjson"
    lines = [_line(), "", "{not json", _line(event_type="MAYBE"), _line(), "\xff", _line()]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    stdout, stderr = io.StringIO(), io.StringIO()

    # Batches of two lines: the numbers are still the file's.
    with pytest.raises(CommandError, match="3 record"):
        call_command(
            "ingest", "system", str(path), "--batch-size", "2", stdout=stdout, stderr=stderr
        )

    summary = json.loads(stdout.getvalue())
    assert summary["accepted"] == 3
    assert [entry["line"] for entry in summary["rejected"]] == [3, 4, 6]
    assert "event_type" in summary["rejected"][1]["errors"]
    assert "lines 3, 4, 6" in stderr.getvalue()
    assert models.SystemEvent.objects.count() == 3


def test_it_reads_standard_input(monkeypatch):
    data = f"{_line()}\n{_line()}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    summary, _ = _run("system", "-")

    assert summary["accepted"] == 2
    assert models.SystemEvent.objects.count() == 2


def test_it_counts_a_replayed_file_as_duplicates(tmp_path):
    path = tmp_path / "system.ndjson"
    path.write_text(f"{_line()}\n{_line()}\n")
    _run("system", str(path))

    summary, _ = _run("system", str(path))

    assert (summary["accepted"], summary["duplicates"]) == (0, 2)


def test_it_ingests_accounts(tmp_path):
    path = tmp_path / "accounts.ndjson"
    path.write_text(json.dumps({"username": "alice", "group": "Sales"}) + "\n")

    summary, _ = _run("accounts", str(path))

    assert summary["accepted"] == 1
    assert models.Account.objects.get().group.name == "Sales"


def test_it_refuses_an_unknown_log_and_lists_the_known_ones(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("ingest", "nope", str(tmp_path / "x"), stdout=io.StringIO())

    assert "cdr" in str(error.value)
    assert "accounts" in str(error.value)


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ingest", "system", str(tmp_path / "missing.ndjson"), stdout=io.StringIO())


def test_it_shows_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    path = tmp_path / "system.ndjson"
    path.write_text(f"{_line()}\n")

    _, readable = _run("system", str(path))

    assert "\r" not in readable


def test_it_shows_a_progress_bar_on_a_terminal(tmp_path):
    path = tmp_path / "system.ndjson"
    path.write_text("".join(f"{_line()}\n" for _ in range(5)))

    _, readable = _run("system", str(path), "--batch-size", "2", stderr=_Terminal())

    assert "\r[" in readable
    assert "100%" in readable
    assert "5 lines" in readable
