"""CEF lines: golden lines, and every escape rule checked by parsing the line back."""

import re
from datetime import UTC, datetime

import pytest

from logging_app import siem

MOMENT = datetime(2026, 11, 24, 9, 15, 0, 123000, tzinfo=UTC)


def _parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """A CEF parser independent of the writer: header by unescaped pipes, then key=value."""
    header, rest, position = [], "", 0
    current = ""
    while len(header) < 7:
        char = line[position]
        if char == "\\":
            current += line[position + 1]
            position += 2
            continue
        if char == "|":
            header.append(current)
            current = ""
        else:
            current += char
        position += 1
    rest = line[position:]
    extensions = {}
    # A key starts after a space and runs to an unescaped '='.
    for match in re.finditer(r"(?:^| )(\w+)=((?:\\.|[^\\=])*?)(?= \w+=|$)", rest):
        value = re.sub(
            r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), match.group(2)
        )
        extensions[match.group(1)] = value
    return header, extensions


@pytest.fixture(autouse=True)
def _device(settings):
    settings.SIEM_DEVICE_VENDOR = "Acme"
    settings.SIEM_DEVICE_PRODUCT = "Logging Console"
    settings.SIEM_DEVICE_VERSION = "2.1"


def test_it_writes_the_golden_line():
    line = siem.cef_line(
        signature_id="WEB-201",
        name="Web console sign-in failed: wrong password",
        severity=6,
        timestamp=MOMENT,
        extensions={"suser": "alice", "src": "198.51.100.20"},
    )

    assert line == (
        "CEF:0|Acme|Logging Console|2.1|WEB-201|Web console sign-in failed: wrong password|6|"
        "rt=1795511700123 suser=alice src=198.51.100.20"
    )


def test_it_escapes_pipes_and_backslashes_in_the_header(settings):
    settings.SIEM_DEVICE_VENDOR = "A|B\\C"
    line = siem.cef_line(
        signature_id="X|1", name="back\\slash | pipe", severity=1, timestamp=MOMENT
    )

    assert line.startswith("CEF:0|A\\|B\\\\C|Logging Console|2.1|X\\|1|back\\\\slash \\| pipe|1|")
    header, _ = _parse_cef(line)
    assert header[1:6] == ["A|B\\C", "Logging Console", "2.1", "X|1", "back\\slash | pipe"]


def test_it_escapes_equals_backslash_and_line_breaks_in_extensions():
    value = "a=b \\ c\nd\re|f"
    line = siem.cef_line(
        signature_id="S", name="n", severity=2, timestamp=MOMENT, extensions={"msg": value}
    )

    assert "msg=a\\=b \\\\ c\\nd\\re|f" in line
    assert "\n" not in line and "\r" not in line
    _, extensions = _parse_cef(line)
    assert extensions["msg"] == value


def test_it_puts_the_time_in_rt_as_epoch_milliseconds():
    _, extensions = _parse_cef(
        siem.cef_line(signature_id="S", name="n", severity=0, timestamp=MOMENT)
    )

    assert int(extensions["rt"]) == int(MOMENT.timestamp() * 1000)


def test_it_leaves_out_empty_extensions():
    line = siem.cef_line(
        signature_id="S", name="n", severity=0, timestamp=MOMENT, extensions={"suser": ""}
    )

    assert "suser" not in line


def test_it_maps_each_signature_to_a_severity_between_0_and_10():
    assert all(0 <= signature.severity <= 10 for signature in siem.SIGNATURES.values())
    ids = [signature.signature_id for signature in siem.SIGNATURES.values()]
    assert len(ids) == len(set(ids))
