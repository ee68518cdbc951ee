"""Syslog for the SIEM collector: RFC 5424 messages over UDP (RFC 5426) or TCP (RFC 6587).

Each message carries one CEF line as its MSG. The MSG has no byte-order mark: RFC 5424
allows any octets there, and CEF parsers look for "CEF:" at its start. Over TCP messages
are framed by octet counting ("<length> <message>"), so a CEF line may hold any byte.
"""

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

DEFAULT_PORT = 514
APP_NAME = "logging-console"
NILVALUE = "-"
# RFC 5426 asks receivers to take datagrams of 2048 octets at least; common collectors
# take 8 KiB. Longer messages are cut there rather than refused by the network stack.
UDP_MAX_BYTES = 8192


@dataclass(frozen=True)
class Collector:
    transport: str  # "udp" or "tcp"
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> "Collector":
        """The collector of a udp:// or tcp:// URL (the settings have validated it)."""
        parts = urlsplit(url)
        if parts.scheme not in {"udp", "tcp"} or not parts.hostname:
            raise ValueError(f"not a syslog collector URL: {url!r}")
        return cls(parts.scheme, parts.hostname, parts.port or DEFAULT_PORT)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


class DeliveryError(Exception):
    """Sending stopped: the first `sent` messages went out, the rest did not."""

    def __init__(self, sent: int, reason: str) -> None:
        super().__init__(reason)
        self.sent = sent


def severity_for(cef_severity: int) -> int:
    """CEF's 0–10 on syslog's scale (2 critical … 5 notice), by CEF's four bands."""
    if cef_severity >= 9:  # Very-High
        return 2
    if cef_severity >= 7:  # High
        return 3
    if cef_severity >= 4:  # Medium
        return 4
    return 5  # Low


def _header_field(value: str, max_length: int) -> str:
    """A header field as RFC 5424 allows it: printable US-ASCII, no space, never empty."""
    printable = "".join(char for char in value if 33 <= ord(char) <= 126)[:max_length]
    return printable or NILVALUE


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_message(
    *,
    message: str,
    facility: int,
    severity: int,
    timestamp: datetime,
    hostname: str,
    msgid: str,
    app_name: str = APP_NAME,
) -> bytes:
    """One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`."""
    header = " ".join(
        [
            f"<{facility * 8 + severity}>1",
            _timestamp(timestamp),
            _header_field(hostname, 255),
            _header_field(app_name, 48),
            NILVALUE,  # PROCID
            _header_field(msgid, 32),
            NILVALUE,  # no STRUCTURED-DATA: everything is in the CEF line
        ]
    )
    return f"{header} {message}".encode()


def octet_counted(message: bytes) -> bytes:
    """The RFC 6587 frame of one message on a TCP stream."""
    return b"%d %s" % (len(message), message)


def _fit_datagram(message: bytes) -> bytes:
    if len(message) <= UDP_MAX_BYTES:
        return message
    # Cut on a character boundary, so that the datagram stays valid UTF-8, and not between
    # a backslash and the character it escapes, so that the CEF line stays well-formed.
    cut = message[:UDP_MAX_BYTES].decode("utf-8", "ignore").encode()
    backslashes = len(cut) - len(cut.rstrip(b"\\"))
    return cut[:-1] if backslashes % 2 else cut


def _udp_socket(collector: Collector, timeout: float) -> socket.socket:
    # A connected socket, so that an ICMP "port unreachable" surfaces as an error on the
    # next send instead of being ignored.
    family, kind, proto, _, address = socket.getaddrinfo(
        collector.host, collector.port, type=socket.SOCK_DGRAM
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.settimeout(timeout)
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def send(collector: Collector, messages: Sequence[bytes], *, timeout: float) -> None:
    """Send the messages in order over one connection (TCP) or socket (UDP).

    Raises DeliveryError saying how many went out before a failure. TCP syslog has no
    acknowledgement: "sent" means the connection took the bytes. UDP is best effort: a
    collector that is down is noticed only when the network reports it.
    """
    sent = 0
    try:
        if collector.transport == "tcp":
            with socket.create_connection((collector.host, collector.port), timeout) as sock:
                for message in messages:
                    sock.sendall(octet_counted(message))
                    sent += 1
        else:
            with _udp_socket(collector, timeout) as sock:
                for message in messages:
                    sock.send(_fit_datagram(message))
                    # A refusal that came back already (at once from this host) is this
                    # datagram's; a later one makes the next send fail.
                    if error := sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        raise OSError(error, os.strerror(error))
                    sent += 1
    except OSError as error:
        raise DeliveryError(sent, f"{collector}: {error}") from error
