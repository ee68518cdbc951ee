"""RFC 5424 messages, RFC 6587 framing, the collector URL, and sending to real sockets."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ImproperlyConfigured

from console import settings as console_settings
from logging_app import syslog
from tests.test_jobs_forward_siem import TcpCollector, UdpCollector

MOMENT = datetime(2026, 11, 24, 9, 15, 0, 123456, tzinfo=UTC)
CEF = "CEF:0|Acme|Logging Console|2.1|WEB-201|Sign-in failed|6|rt=1795511700123 suser=alice"


def _message(**overrides) -> bytes:
    fields = {
        "message": CEF,
        "facility": 13,
        "severity": 4,
        "timestamp": MOMENT,
        "hostname": "console.example.com",
        "msgid": "WEB-201",
    } | overrides
    return syslog.format_message(**fields)


def test_it_writes_the_golden_message():
    assert _message() == (
        b"<108>1 2026-11-24T09:15:00.123Z console.example.com logging-console - WEB-201 - "
        + CEF.encode()
    )


def test_it_writes_the_time_in_utc():
    rome = timezone(timedelta(hours=1))

    message = _message(timestamp=datetime(2026, 11, 24, 10, 15, tzinfo=rome))

    assert b" 2026-11-24T09:15:00.000Z " in message


def test_it_keeps_header_fields_printable_ascii_and_never_empty():
    message = _message(hostname="my host é", msgid="X" * 40)

    header = message.decode().split(" ")
    assert header[2] == "myhost"
    assert header[5] == "X" * 32
    assert _message(hostname=" ").split(b" ")[2] == b"-"


def test_it_keeps_the_message_as_utf8_without_a_byte_order_mark():
    message = _message(message="CEF:0|V|P|1|S|n|1|suser=josé")

    assert message.endswith(" - CEF:0|V|P|1|S|n|1|suser=josé".encode())
    assert b"\xef\xbb\xbf" not in message


@pytest.mark.parametrize(
    ("cef_severity", "syslog_severity"),
    [(0, 5), (3, 5), (4, 4), (6, 4), (7, 3), (8, 3), (9, 2), (10, 2)],
)
def test_it_maps_cef_severity_bands_to_syslog_severities(cef_severity, syslog_severity):
    assert syslog.severity_for(cef_severity) == syslog_severity


def test_it_frames_by_octet_count():
    assert syslog.octet_counted(b"hello") == b"5 hello"
    assert syslog.octet_counted("é".encode()) == b"2 \xc3\xa9"


@pytest.mark.parametrize(
    ("url", "collector", "shown"),
    [
        ("udp://siem.example.com:514", ("udp", "siem.example.com", 514), None),
        ("tcp://10.0.0.5:6514", ("tcp", "10.0.0.5", 6514), None),
        ("udp://siem.example.com", ("udp", "siem.example.com", 514), "udp://siem.example.com:514"),
        ("tcp://[2001:db8::1]:601", ("tcp", "2001:db8::1", 601), None),
    ],
)
def test_it_reads_the_collector_url(url, collector, shown):
    parsed = syslog.Collector.from_url(url)

    assert (parsed.transport, parsed.host, parsed.port) == collector
    assert str(parsed) == (shown or url)


@pytest.mark.parametrize(
    "url",
    [
        "http://siem.example.com:514",
        "syslog://siem.example.com",
        "udp://",
        "tcp://siem.example.com:0",
        "tcp://siem.example.com:70000",
        "tcp://siem.example.com:port",
        "tcp://user:secret@siem.example.com:514",
        "udp://siem.example.com:514/path",
        "udp://siem.example.com:514?x=1",
        "siem.example.com:514",
    ],
)
def test_it_refuses_a_bad_collector_url_at_start_up(monkeypatch, url):
    monkeypatch.setenv("SIEM_SYSLOG_URL", url)

    with pytest.raises(ImproperlyConfigured, match="SIEM_SYSLOG_URL must be udp://"):
        console_settings._syslog_url("SIEM_SYSLOG_URL")


@pytest.mark.parametrize("url", ["", "udp://127.0.0.1:514", "tcp://siem.example.com:6514/"])
def test_it_takes_a_good_or_no_collector_url(monkeypatch, url):
    monkeypatch.setenv("SIEM_SYSLOG_URL", url)

    assert console_settings._syslog_url("SIEM_SYSLOG_URL") == url


def test_it_sends_datagrams_over_udp():
    with UdpCollector() as collector:
        syslog.send(collector.collector, [b"one", "twö".encode()], timeout=1)

        assert collector.take(2) == [b"one", "twö".encode()]


def test_it_cuts_a_long_datagram_on_a_character_boundary():
    long_message = b"<108>1 " + "é".encode() * syslog.UDP_MAX_BYTES

    with UdpCollector() as collector:
        syslog.send(collector.collector, [long_message], timeout=1)

        [received] = collector.take(1)
    assert len(received) <= syslog.UDP_MAX_BYTES
    assert long_message.startswith(received)
    received.decode()  # still UTF-8


def test_it_sends_octet_counted_frames_over_tcp():
    with TcpCollector() as collector:
        syslog.send(collector.collector, [b"one", b"two words", "é\n".encode()], timeout=1)

        assert collector.take(3) == [b"one", b"two words", "é\n".encode()]
        assert collector.wait_closed(1)
        assert collector.garbage == b""


def test_it_reports_that_nothing_went_out_when_the_collector_refuses():
    with TcpCollector(listening=False) as collector, pytest.raises(syslog.DeliveryError) as caught:
        syslog.send(collector.collector, [b"one", b"two"], timeout=1)

    assert caught.value.sent == 0
    assert str(collector.collector) in str(caught.value)
