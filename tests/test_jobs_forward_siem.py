"""SIEM forwarding: the outbox, real UDP and TCP collectors, a collector down, two workers,
hostile events, and the command's exit status.

The collectors listen on 127.0.0.1, on a port the system picks, and a thread reads them.
"""

import io
import queue
import re
import socket
import threading
import uuid
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, connections
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from logging_app import jobs, models, siem, syslog
from logging_app.ingest import ingest_records
from tests.test_siem import FORGED, any_text, received_lines, strict_cef

POLL = 0.05  # how often the collector threads look whether they should stop
SYSLOG_LINE = re.compile(rb"<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)", re.DOTALL)


class _Collector:
    """A syslog collector on 127.0.0.1 whose thread puts each message it reads in a queue."""

    transport = ""

    def __init__(self, sock: socket.socket, port: int = 0) -> None:
        self.socket = sock
        self.socket.bind(("127.0.0.1", port))
        self.socket.settimeout(POLL)
        self.port = self.socket.getsockname()[1]
        self.received: queue.Queue[bytes] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"{self.transport}://127.0.0.1:{self.port}"

    @property
    def collector(self) -> syslog.Collector:
        return syslog.Collector.from_url(self.url)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def take(self, count: int, timeout: float = 5.0) -> list[bytes]:
        return [self.received.get(timeout=timeout) for _ in range(count)]

    def nothing_more(self, wait: float = 0.1) -> bool:
        try:
            self.received.get(timeout=wait)
        except queue.Empty:
            return True
        return False

    def __enter__(self) -> "_Collector":
        return self

    def __exit__(self, *exc_info) -> None:
        # The threads end within one POLL; only then is the port free.
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.socket.close()


class UdpCollector(_Collector):
    transport = "udp"

    def __init__(self, port: int = 0) -> None:
        super().__init__(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), port)
        self._start(self._read)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.received.put(self.socket.recv(65535))
            except TimeoutError:
                continue
            except OSError:
                return


class TcpCollector(_Collector):
    """Reads RFC 6587 octet-counted frames. Not listening, it refuses connections."""

    transport = "tcp"

    def __init__(self, *, listening: bool = True) -> None:
        super().__init__(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        self.closed = 0  # connections read to their end
        self.garbage = b""  # bytes left over that were no whole frame
        self._closing = threading.Condition()
        if listening:
            self.listen()

    def listen(self) -> None:
        self.socket.listen()
        self._start(self._accept)

    def wait_closed(self, count: int, timeout: float = 5.0) -> bool:
        with self._closing:
            return self._closing.wait_for(lambda: self.closed >= count, timeout)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._start(self._read, conn)

    def _read(self, conn: socket.socket) -> None:
        conn.settimeout(POLL)
        buffer = b""
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                buffer += chunk
                while b" " in buffer:
                    length, rest = buffer.split(b" ", 1)
                    if len(rest) < int(length):
                        break
                    self.received.put(rest[: int(length)])
                    buffer = rest[int(length) :]
        with self._closing:
            self.garbage += buffer
            self.closed += 1
            self._closing.notify_all()


def _cef_of(message: bytes) -> str:
    match = SYSLOG_LINE.fullmatch(message)
    assert match, message
    return match.group(8).decode()


def _direct_events(count: int) -> list[models.SecurityEvent]:
    """Security events stored as the appliance sends them, through the ingest service."""
    result = ingest_records(
        log="security",
        records=[
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": f"2026-11-24T09:{minute:02d}:00Z",
                "severity": 6,
                "signature_id": "APP-700",
                "name": f"Appliance event {minute}",
                "source_log": "appliance",
                "details": f"CEF:0|Secure Voice|Appliance|14.1|APP-700|Appliance event {minute}|6|",
            }
            for minute in range(count)
        ],
    )
    assert result.accepted == count
    return list(models.SecurityEvent.objects.order_by("id"))


def _outbox() -> list[models.SiemOutbox]:
    return list(models.SiemOutbox.objects.order_by("id"))


@pytest.fixture
def udp_collector(settings):
    with UdpCollector() as collector:
        settings.SIEM_SYSLOG_URL = collector.url
        yield collector


@pytest.fixture
def tcp_collector(settings):
    with TcpCollector() as collector:
        settings.SIEM_SYSLOG_URL = collector.url
        yield collector


@pytest.mark.django_db
def test_it_queues_every_security_event_ingest_stores_direct_or_rewritten():
    _direct_events(2)
    ingest_records(
        log="system",
        records=[
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": "2026-11-24T10:00:00Z",
                "event_type": "REBOOT",
                "message": "Rebooted",
            }
        ],
    )

    events = set(models.SecurityEvent.objects.values_list("id", flat=True))
    assert len(events) == 3
    queued = set(models.SiemOutbox.objects.values_list("security_event_id", flat=True))
    assert queued == events
    assert {row.state for row in _outbox()} == {models.OutboxState.PENDING}


@pytest.mark.django_db
def test_it_sends_each_event_over_udp_as_rfc5424_carrying_its_cef_line(udp_collector, settings):
    settings.SIEM_SYSLOG_HOSTNAME = "console.example.com"
    events = _direct_events(3)

    result = jobs.forward_siem()

    assert (result.sent, result.failed, result.waiting) == (3, 0, 0)
    messages = udp_collector.take(3)
    assert udp_collector.nothing_more()
    assert [_cef_of(message) for message in messages] == [siem.event_cef_line(e) for e in events]
    match = SYSLOG_LINE.fullmatch(messages[0])
    # Facility 13 (log audit) × 8 + severity 4 (warning, for CEF's 6).
    assert match.group(1) == b"108"
    assert match.group(2) == b"2026-11-24T09:00:00.000Z"
    assert match.group(3, 4, 5, 6, 7) == (
        b"console.example.com",
        b"logging-console",
        b"-",
        b"APP-700",
        b"-",
    )
    assert all(row.state == models.OutboxState.SENT and row.sent_at for row in _outbox())


@pytest.mark.django_db
def test_it_sends_over_tcp_with_octet_counting(tcp_collector):
    events = _direct_events(3)

    result = jobs.forward_siem()

    assert result.sent == 3
    assert tcp_collector.wait_closed(1)
    messages = tcp_collector.take(3)
    assert tcp_collector.nothing_more(0)
    assert tcp_collector.garbage == b""
    assert [_cef_of(message) for message in messages] == [siem.event_cef_line(e) for e in events]


@pytest.mark.django_db
def test_it_sends_nothing_twice(tcp_collector):
    _direct_events(2)
    jobs.forward_siem()
    tcp_collector.take(2)

    again = jobs.forward_siem()

    assert (again.sent, again.failed) == (0, 0)
    assert tcp_collector.nothing_more()


@pytest.mark.django_db
def test_it_keeps_events_while_the_collector_is_down_and_sends_each_once_when_back(settings):
    events = _direct_events(3)
    start = timezone.now()
    with TcpCollector(listening=False) as collector:
        settings.SIEM_SYSLOG_URL = collector.url

        down = jobs.forward_siem(now=start)

        assert (down.sent, down.failed, down.waiting) == (0, 3, 3)
        assert "refused" in down.error.lower()
        for row in _outbox():
            assert row.state == models.OutboxState.PENDING
            assert row.attempts == 1
            assert row.next_attempt_at == start + timedelta(seconds=30)
            assert "refused" in row.last_error.lower()

        # Before the back-off has passed nothing is tried.
        early = jobs.forward_siem(now=start + timedelta(seconds=29))
        assert (early.sent, early.failed, early.waiting) == (0, 0, 3)
        assert {row.attempts for row in _outbox()} == {1}

        # Still down when due: the next wait is twice as long.
        again = jobs.forward_siem(now=start + timedelta(seconds=30))
        assert again.failed == 3
        expected = start + timedelta(seconds=30 + 60)
        assert {(row.attempts, row.next_attempt_at) for row in _outbox()} == {(2, expected)}

        collector.listen()
        back = jobs.forward_siem(now=expected)

        assert (back.sent, back.failed, back.waiting) == (3, 0, 0)
        assert collector.wait_closed(1)
        messages = collector.take(3)
        assert collector.nothing_more(0)
        assert [_cef_of(m) for m in messages] == [siem.event_cef_line(e) for e in events]
        assert jobs.forward_siem(now=expected + timedelta(hours=2)).sent == 0
        assert collector.nothing_more()
    for row in _outbox():
        assert (row.state, row.attempts, row.sent_at, row.last_error) == ("sent", 3, expected, "")


@pytest.mark.django_db
def test_it_notices_a_udp_collector_down_on_this_host_and_sends_each_event_once_back(settings):
    events = _direct_events(3)
    start = timezone.now()
    with UdpCollector() as probe:
        port = probe.port
    # Nothing listens on the port now: this host answers "port unreachable".
    settings.SIEM_SYSLOG_URL = f"udp://127.0.0.1:{port}"

    down = jobs.forward_siem(now=start)

    assert (down.sent, down.failed) == (0, 3)
    assert "refused" in down.error.lower()
    with UdpCollector(port) as collector:
        back = jobs.forward_siem(now=start + timedelta(seconds=30))

        assert (back.sent, back.failed, back.waiting) == (3, 0, 0)
        messages = collector.take(3)
        assert collector.nothing_more()
    assert [_cef_of(m) for m in messages] == [siem.event_cef_line(e) for e in events]


@pytest.mark.django_db
def test_it_marks_sent_what_went_out_before_a_failure_and_backs_off_the_rest(
    tcp_collector, monkeypatch
):
    _direct_events(4)

    def fail_after_two(collector, messages, *, timeout):
        raise syslog.DeliveryError(2, "tcp://127.0.0.1:9: connection reset")

    monkeypatch.setattr(syslog, "send", fail_after_two)
    now = timezone.now()

    result = jobs.forward_siem(now=now)

    assert (result.sent, result.failed, result.waiting) == (2, 2, 2)
    rows = _outbox()
    assert [(row.state, row.attempts, row.sent_at) for row in rows[:2]] == [("sent", 1, now)] * 2
    later = now + timedelta(seconds=30)
    assert [(row.state, row.attempts, row.next_attempt_at) for row in rows[2:]] == [
        ("pending", 1, later)
    ] * 2
    assert all("connection reset" in row.last_error for row in rows[2:])


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (9, 3600), (10**6, 3600)],
)
def test_it_doubles_the_wait_after_each_failure_up_to_an_hour(attempts, seconds):
    assert jobs.retry_delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.django_db
def test_it_sends_in_batches_up_to_the_limit(tcp_collector):
    _direct_events(7)

    result = jobs.forward_siem(limit=5, batch_size=2)

    assert (result.sent, result.waiting) == (5, 2)
    assert tcp_collector.wait_closed(3)  # batches of 2, 2 and 1
    assert len(tcp_collector.take(5)) == 5
    assert jobs.forward_siem(batch_size=2).sent == 2


@pytest.mark.django_db
def test_it_keeps_events_waiting_when_no_collector_is_configured(settings):
    settings.SIEM_SYSLOG_URL = ""
    _direct_events(2)

    result = jobs.forward_siem()

    assert (result.configured, result.sent) == (False, 0)
    assert str(result) == "forward_siem: no collector configured (SIEM_SYSLOG_URL); 2 events wait"
    assert {(row.state, row.attempts) for row in _outbox()} == {("pending", 0)}


@pytest.mark.django_db
def test_the_command_prints_what_it_did(udp_collector, capsys):
    _direct_events(2)

    call_command("forward_siem", "--limit", "1")

    assert capsys.readouterr().out == "forward_siem: 1 events sent, 0 failed, 1 waiting\n"
    assert len(udp_collector.take(1)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_event(tcp_collector, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the two workers with its database lock")
    events = _direct_events(10)
    send = syslog.send
    claimed, release = threading.Event(), threading.Event()

    def first_worker_waits(collector, messages, *, timeout):
        if threading.current_thread().name == "first-worker":
            claimed.set()
            assert release.wait(10)
        send(collector, messages, timeout=timeout)

    monkeypatch.setattr(syslog, "send", first_worker_waits)
    results = {}

    def first_worker() -> None:
        try:
            results["first"] = jobs.forward_siem(batch_size=4, limit=4)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker, name="first-worker")
    thread.start()
    try:
        assert claimed.wait(10)
        # The first worker holds its 4 events, unsent: the second takes the other 6.
        results["second"] = jobs.forward_siem()
    finally:
        release.set()
        thread.join(10)

    assert (results["first"].sent, results["second"].sent) == (4, 6)
    assert tcp_collector.wait_closed(2)
    messages = tcp_collector.take(10)
    assert tcp_collector.nothing_more(0)
    assert sorted(_cef_of(m) for m in messages) == sorted(siem.event_cef_line(e) for e in events)
    assert {row.state for row in _outbox()} == {models.OutboxState.SENT}


# --- Hostile events -----------------------------------------------------------------------

# An RFC 5424 message read strictly: each header field printable US-ASCII without a space,
# no longer than the RFC allows, and the MSG after it.
STRICT_SYSLOG = re.compile(
    rb"<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ([!-~]{1,255}) ([!-~]{1,48}) "
    rb"([!-~]{1,128}) ([!-~]{1,32}) (-) (.*)",
    re.DOTALL,
)
LONG = "Lörem ipsum | dolor = sit\\amet\n" * 150  # about 5 KB once escaped: one datagram
HOSTILE_NAME = "Hostile event"
AB = ["A", "B", "1", "X", "n", "5"]
# Details → what the collector must read: the header and pairs of the CEF line received,
# or None for details that are no CEF line and must arrive whole in `msg`.
HOSTILE: dict[str, tuple[list[str], list[tuple[str, str]]] | None] = {
    FORGED: (AB, [("msg", "hi\nCEF:0|Injected|Fake|1|X|forged|10|src=6.6.6.6")]),
    "CEF:0|A|B|1|X|n|5|msg=a=b=c": (AB, [("msg", "a=b=c")]),
    "CEF:0|A|B|1|X|n|5|msg=one\r\ntwo\rthree suser=x": (
        AB,
        [("msg", "one\r\ntwo\rthree"), ("suser", "x")],
    ),
    "CEF:0|Ven\\|dor|Pro\\\\duct|1|X|pipe \\| back\\\\slash|5|": (
        ["Ven|dor", "Pro\\duct", "1", "X", "pipe | back\\slash", "5"],
        [],
    ),
    "CEF:0|A|B|1|X|n|5|filePath=C:\\dir\\ cs1=\\n\\r\\=\\\\": (
        AB,
        [("filePath", "C:\\dir\\"), ("cs1", "\n\r=\\")],
    ),
    "CEF:0|Sécurité|Téléphone 🔐|1|X|ünïcödé|5|msg=日本語 🔐": (
        ["Sécurité", "Téléphone 🔐", "1", "X", "ünïcödé", "5"],
        [("msg", "日本語 🔐")],
    ),
    "CEF:0|A|B|1|X|n|5|msg=" + LONG: (AB, [("msg", LONG)]),
    "CEF:0|A|B|1|X|n|5": None,
    "CEF:0|A|B|1\n|X|n|5|msg=x": None,
    "CEF:0|A|B|1|X|n|5|\nCEF:0|Injected|Fake|1|X|forged|10|src=6.6.6.6": None,
    "CEF:0|A|B|1|X|n|High|msg=x": None,
    "CEF:0|A|B|1|X|n|5| msg=x": None,
    "x\rCEF:0|Injected|Fake|1|X|forged|10|": None,
    "\\|=\r\n\\": None,
    LONG: None,
}


def _ingest_hostile(details: list[str]) -> None:
    """Security events as a client may send them; each one's MSGID is APP-<its index>."""
    result = ingest_records(
        log="security",
        records=[
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": "2026-11-24T09:00:00Z",
                "severity": 6,
                "signature_id": f"APP-{index}",
                "name": HOSTILE_NAME,
                "source_log": "appliance",
                "account": "mallory",
                "details": text,
            }
            for index, text in enumerate(details)
        ],
    )
    assert (result.accepted, result.rejected) == (len(details), [])


def _read(message: bytes) -> tuple[int, list[str], list[tuple[str, str]]]:
    """A message's event index (from its MSGID) and its one CEF line, read strictly."""
    match = STRICT_SYSLOG.fullmatch(message)
    assert match, message
    header, pairs = strict_cef(match[8].decode())
    return int(match[6].removeprefix(b"APP-")), header, pairs


def _assert_carried(
    message: bytes,
    details: list[str],
    expected: list[tuple[list[str], list[tuple[str, str]]] | None],
    settings,
) -> None:
    index, header, pairs = _read(message)
    if expected[index] is None:
        device = [
            settings.SIEM_DEVICE_VENDOR,
            settings.SIEM_DEVICE_PRODUCT,
            settings.SIEM_DEVICE_VERSION,
        ]
        assert header[1:] == [*device, f"APP-{index}", HOSTILE_NAME, "6"]
        assert dict(pairs)["msg"] == details[index]
        assert dict(pairs)["suser"] == "mallory"
    else:
        assert (header[1:], pairs) == expected[index]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forward",
    [jobs.forward_siem, partial(call_command, "forward_siem", stdout=io.StringIO())],
    ids=["job", "command"],
)
def test_it_sends_each_hostile_event_as_one_well_formed_cef_line(udp_collector, settings, forward):
    details = list(HOSTILE)
    _ingest_hostile(details)

    forward()

    messages = udp_collector.take(len(details))
    assert udp_collector.nothing_more()
    assert sorted(_read(message)[0] for message in messages) == list(range(len(details)))
    for message in messages:
        _assert_carried(message, details, list(HOSTILE.values()), settings)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sent=st.lists(
        st.one_of(
            any_text.filter(lambda text: text and not text.startswith("CEF:0|")).map(
                lambda text: (text, None)
            ),
            received_lines().map(lambda line: (line[0], (line[1], line[2]))),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_it_sends_whatever_arrives_as_one_well_formed_cef_line(udp_collector, settings, sent):
    details = [text for text, _ in sent]
    _ingest_hostile(details)

    jobs.forward_siem()

    messages = udp_collector.take(len(sent))
    assert udp_collector.nothing_more(0.02)
    for message in messages:
        _assert_carried(message, details, [expected for _, expected in sent], settings)


@pytest.mark.django_db
def test_it_carries_very_long_text_whole_over_tcp(tcp_collector, settings):
    long = LONG * 13  # about 60,000 characters (ingest's most), many of them two bytes
    details = ["CEF:0|A|B|1|X|n|5|msg=" + long + " suser=x", long]
    _ingest_hostile(details)

    jobs.forward_siem()

    assert tcp_collector.wait_closed(1)
    messages = tcp_collector.take(2)
    assert tcp_collector.garbage == b""  # every octet count was right
    expected = [(AB, [("msg", long), ("suser", "x")]), None]
    for message in messages:
        _assert_carried(message, details, expected, settings)


@pytest.mark.django_db
@pytest.mark.parametrize("offset", ["", "a"], ids=["no-offset", "one-character-offset"])
def test_it_cuts_a_line_too_long_for_a_datagram_where_it_stays_well_formed(udp_collector, offset):
    # Escaped, every backslash is two: a cut at an odd place would leave half an escape.
    value = offset + "\\" * syslog.UDP_MAX_BYTES
    _ingest_hostile(["CEF:0|A|B|1|X|n|5|msg=" + value])

    jobs.forward_siem()

    [message] = udp_collector.take(1)
    assert len(message) in (syslog.UDP_MAX_BYTES - 1, syslog.UDP_MAX_BYTES)
    _, header, [(key, received)] = _read(message)
    assert (header[1:], key) == (AB, "msg")
    assert value.startswith(received)


@pytest.mark.django_db
def test_it_keeps_spaces_and_control_characters_out_of_the_syslog_header(udp_collector, settings):
    settings.SIEM_SYSLOG_HOSTNAME = "evil host\n<13>1 forged"
    ingest_records(
        log="security",
        records=[
            {
                "event_id": str(uuid.uuid4()),
                "timestamp": "2026-11-24T09:00:00Z",
                "severity": 6,
                "signature_id": "APP 7 00 é",
                "name": "Name | with \\ pipes",
                "source_log": "appliance",
                "details": "text",
            }
        ],
    )

    jobs.forward_siem()

    [message] = udp_collector.take(1)
    match = STRICT_SYSLOG.fullmatch(message)
    assert match.group(3, 4, 5, 6) == (b"evilhost<13>1forged", b"logging-console", b"-", b"APP700")
    header, _ = strict_cef(match[8].decode())
    assert header[4:6] == ["APP 7 00 é", "Name | with \\ pipes"]


# --- The command's exit status ------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_fails_saying_how_many_events_wait_when_the_collector_is_down(settings):
    _direct_events(3)
    with TcpCollector(listening=False) as collector:
        settings.SIEM_SYSLOG_URL = collector.url
        out = io.StringIO()

        with pytest.raises(CommandError, match=r"^3 events wait in the outbox: the collector "):
            call_command("forward_siem", stdout=out)

        assert out.getvalue().startswith("forward_siem: 0 events sent, 3 failed, 3 waiting (")
        # Run again at once, it tries again rather than wait out the worker's back-off.
        with pytest.raises(CommandError, match="refused"):
            call_command("forward_siem", stdout=io.StringIO())
    assert {(row.state, row.attempts) for row in _outbox()} == {("pending", 2)}


@pytest.mark.django_db
def test_the_command_exits_non_zero_when_the_collector_is_down(settings, monkeypatch, capsys):
    # The real exit status, through manage.py's own entry point. It closes the database
    # connections when done, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    _direct_events(2)
    with TcpCollector(listening=False) as collector:
        settings.SIEM_SYSLOG_URL = collector.url

        with pytest.raises(SystemExit) as exited:
            ManagementUtility(["manage.py", "forward_siem"]).execute()

    assert exited.value.code == 1
    assert "CommandError: 2 events wait in the outbox" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_command_exits_0_when_every_event_is_sent(udp_collector, monkeypatch, capsys):
    monkeypatch.setattr(connections, "close_all", lambda: None)
    _direct_events(2)

    ManagementUtility(["manage.py", "forward_siem"]).execute()

    assert capsys.readouterr().out == "forward_siem: 2 events sent, 0 failed, 0 waiting\n"
    assert len(udp_collector.take(2)) == 2
    assert {row.state for row in _outbox()} == {models.OutboxState.SENT}


@pytest.mark.django_db
def test_the_command_fails_when_events_wait_and_no_collector_is_configured(settings):
    settings.SIEM_SYSLOG_URL = ""
    out = io.StringIO()
    call_command("forward_siem", stdout=out)  # nothing waits: nothing to say
    _direct_events(2)

    with pytest.raises(CommandError, match=r"^2 events wait in the outbox: no collector"):
        call_command("forward_siem", stdout=out)

    assert out.getvalue().splitlines() == [
        "forward_siem: no collector configured (SIEM_SYSLOG_URL); 0 events wait",
        "forward_siem: no collector configured (SIEM_SYSLOG_URL); 2 events wait",
    ]
