"""CEF lines: golden lines, every escape rule checked by parsing the line back, and
received lines written again as one well-formed line whatever they hold.
"""

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logging_app import models, siem

MOMENT = datetime(2026, 11, 24, 9, 15, 0, 123000, tzinfo=UTC)
_KEY_AHEAD = re.compile(r" [A-Za-z0-9]+=")
_KEY = re.compile(r"[A-Za-z0-9]+=")
_EXTENSION_ESCAPES = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}


def strict_cef(line: str) -> tuple[list[str], list[tuple[str, str]]]:
    """One CEF:0 line read strictly, independent of the writer: its header and its pairs.

    Fails the test on anything the CEF specification does not allow: a raw line break,
    other than 7 unescaped pipes in the header, a version other than 0, a severity out of
    0–10, a key that is not alphanumeric, an unescaped '=' in a value, an unknown escape.
    """
    assert "\n" not in line and "\r" not in line, f"raw line break in {line!r}"
    header, field, position = [], [], 0
    while len(header) < 7:
        assert position < len(line), f"fewer than 7 unescaped pipes in {line!r}"
        char = line[position]
        if char == "\\":
            escaped = line[position + 1 : position + 2]
            assert escaped in ("\\", "|"), f"unknown header escape at {position} in {line!r}"
            field.append(escaped)
            position += 2
        elif char == "|":
            header.append("".join(field))
            field = []
            position += 1
        else:
            field.append(char)
            position += 1
    assert header[0] == "CEF:0", line
    assert header[6] in {str(severity) for severity in range(11)}, line
    pairs = []
    while position < len(line):
        key = _KEY.match(line, position)
        assert key, f"no alphanumeric key at {position} in {line!r}"
        position = key.end()
        value = []
        while position < len(line) and not _KEY_AHEAD.match(line, position):
            char = line[position]
            assert char != "=", f"unescaped '=' at {position} in {line!r}"
            if char == "\\":
                escaped = line[position + 1 : position + 2]
                assert escaped in _EXTENSION_ESCAPES, f"unknown escape at {position} in {line!r}"
                value.append(_EXTENSION_ESCAPES[escaped])
                position += 2
            else:
                value.append(char)
                position += 1
        pairs.append((key[0][:-1], "".join(value)))
        position += 1  # the space before the next key
    return header, pairs


def _parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    header, pairs = strict_cef(line)
    return header, dict(pairs)


# Text as a client may send it: any character ingest stores (no NUL, no lone surrogate),
# with those that CEF escapes, or that look like its syntax, coming often.
_SYNTAX = st.sampled_from(["\\", "|", "=", "\n", "\r", " ", "CEF:0|", " msg=", "\\n", "é", "🔐"])
_CHARACTER = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
any_text = st.lists(st.one_of(_SYNTAX, _CHARACTER), max_size=60).map("".join)
_HEADER_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00\r\n"), max_size=20
)
_ESCAPE_HEADER = str.maketrans({"\\": "\\\\", "|": "\\|"})
_WRITTEN = {"\\": "\\\\", "=": "\\=", "\n": "\\n", "\r": "\\r"}


@st.composite
def received_lines(draw) -> tuple[str, list[str], list[tuple[str, str]]]:
    """A CEF line as a sender may write it, and what it says: its header and its pairs.

    Some values keep '=', newline or carriage return unescaped, as careless senders
    write them, where that cannot be read as another key.
    """
    header = [draw(_HEADER_TEXT) for _ in range(5)] + [str(draw(st.integers(0, 10)))]
    keys = st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True)
    pairs = draw(st.lists(st.tuples(keys, any_text), max_size=6))
    written = []
    for key, value in pairs:
        raw = {char for char in "\n\r=" if draw(st.booleans())}
        if _KEY_AHEAD.search(value):
            raw.discard("=")
        escaped = "".join(_WRITTEN.get(char, char) if char not in raw else char for char in value)
        written.append(f"{key}={escaped}")
    line = "|".join(["CEF:0", *(field.translate(_ESCAPE_HEADER) for field in header), ""])
    return line + " ".join(written), header, pairs


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
    assert all(0 <= signature.severity <= 10 for signature in siem.signatures().values())
    ids = [signature.signature_id for signature in siem.signatures().values()]
    assert len(ids) == len(set(ids))


def _event(details: str, **fields) -> models.SecurityEvent:
    values = {
        "signature_id": "APP-700",
        "name": "Appliance event",
        "severity": 6,
        "timestamp": MOMENT,
        "account_name": "alice",
    }
    return models.SecurityEvent(details=details, **(values | fields))


FORGED = "CEF:0|A|B|1|X|n|5|msg=hi\nCEF:0|Injected|Fake|1|X|forged|10|src=6.6.6.6"


def test_it_writes_a_raw_newline_of_a_received_line_as_an_escape():
    line = siem.event_cef_line(_event(FORGED))

    assert line == "CEF:0|A|B|1|X|n|5|msg=hi\\nCEF:0|Injected|Fake|1|X|forged|10|src\\=6.6.6.6"
    assert strict_cef(line) == (
        ["CEF:0", "A", "B", "1", "X", "n", "5"],
        [("msg", "hi\nCEF:0|Injected|Fake|1|X|forged|10|src=6.6.6.6")],
    )


@pytest.mark.parametrize(
    ("received", "written"),
    [
        ("msg=a=b=c", "msg=a\\=b\\=c"),
        ("msg=one\r\ntwo suser=bob", "msg=one\\r\\ntwo suser=bob"),
        ("msg=hello world=x  y=\\=\\n", "msg=hello world=x  y=\\=\\n"),
        # A backslash before what CEF does not escape stands for itself.
        ("filePath=C:\\dir\\ act=\\x\\|", "filePath=C:\\\\dir\\\\ act=\\\\x\\\\|"),
        ("msg=ends with a backslash\\", "msg=ends with a backslash\\\\"),
        ("msg= cs1= cs1=again ", "msg= cs1= cs1=again "),
    ],
)
def test_it_writes_received_extension_values_with_canonical_escapes(received, written):
    line = siem.event_cef_line(_event("CEF:0|A|B|1|X|n|5|" + received))

    assert line == "CEF:0|A|B|1|X|n|5|" + written
    strict_cef(line)


def test_it_writes_received_header_fields_with_canonical_escapes():
    line = siem.event_cef_line(_event("CEF:0|Ven\\|dor|Pro\\duct|1\\\\|X|pipe \\| and \\\\|5|"))

    assert line == "CEF:0|Ven\\|dor|Pro\\\\duct|1\\\\|X|pipe \\| and \\\\|5|"
    assert strict_cef(line)[0] == [
        "CEF:0",
        "Ven|dor",
        "Pro\\duct",
        "1\\",
        "X",
        "pipe | and \\",
        "5",
    ]


def test_it_keeps_a_line_already_written_canonically():
    line = siem.cef_line(
        signature_id="WEB-201",
        name="a | b \\ c",
        severity=6,
        timestamp=MOMENT,
        extensions={"suser": "alice", "msg": "a=b\nc\\ d=e"},
    )

    assert siem.event_cef_line(_event(line)) == line


def test_it_keeps_the_device_of_a_received_line():
    header, _ = strict_cef(siem.event_cef_line(_event("CEF:0|Secure Voice|Appliance|14.1|S|n|3|")))

    assert header[1:4] == ["Secure Voice", "Appliance", "14.1"]


@pytest.mark.parametrize(
    "details",
    [
        "not a CEF line",
        "CEF:0|A|B|1|X|n|5",  # a pipe short
        "CEF:0|A|B|1\n|X|n|5|msg=x",  # a line break in the header
        "CEF:0|A|B|1|X|n|5|\nCEF:0|Injected|Fake|1|X|forged|10|",  # no key first
        "CEF:0|A|B|1|X|n|5| msg=x",
        "CEF:0|A|B|1|X|n|5|ad.key=x",
        "CEF:0|A|B|1|X|n|High|msg=x",
        "CEF:0|A|B|1|X|n|11|msg=x",
        "CEF:0|A|B|1|X|n|05|msg=x",
        "CEF:1|A|B|1|X|n|5|msg=x",
        "CEF:0|" + "V" * 64 + "|B|1|X|n|5|",  # longer than a collector keeps
        "CEF:0|A|B|1|X|n|5\\|msg=x",
        "x\nCEF:0|Injected|Fake|1|X|forged|10|src=6.6.6.6",
        "\\|=\r\n",
    ],
)
def test_it_writes_what_is_no_cef_line_whole_in_msg_of_the_events_own_line(details):
    header, pairs = strict_cef(siem.event_cef_line(_event(details)))

    assert header == ["CEF:0", "Acme", "Logging Console", "2.1", "APP-700", "Appliance event", "6"]
    assert pairs == [
        ("rt", str(int(MOMENT.timestamp() * 1000))),
        ("suser", "alice"),
        ("msg", details),
    ]


def test_it_keeps_line_breaks_of_the_events_own_fields_out_of_the_header():
    line = siem.event_cef_line(_event("text", signature_id="A\nB", name="x\r\nCEF:0|Injected|"))

    header, _ = strict_cef(line)
    assert header[4:6] == ["A B", "x  CEF:0|Injected|"]


@given(details=any_text.filter(lambda text: not text.startswith("CEF:0|")))
def test_it_carries_any_text_that_is_no_cef_line_whole_in_one_line(details):
    _, pairs = strict_cef(siem.event_cef_line(_event(details)))

    assert dict(pairs).get("msg", "") == details


@given(received=received_lines())
def test_it_writes_any_received_line_again_saying_the_same(received):
    line, header, pairs = received

    assert strict_cef(siem.event_cef_line(_event(line))) == (["CEF:0", *header], pairs)


@given(extension=any_text)
def test_it_writes_anything_after_a_cef_header_as_one_well_formed_line(extension):
    details = "CEF:0|A|B|1|X|n|5|" + extension

    header, pairs = strict_cef(siem.event_cef_line(_event(details)))

    if received := siem.parse_cef(details):
        # A collector reads what the console read.
        assert (header, pairs) == (["CEF:0", *received.header], list(received.extension))
    else:
        assert dict(pairs)["msg"] == details
