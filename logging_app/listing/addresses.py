"""IP addresses as people paste them into a filter: with or without a port, an IPv6 address
in brackets before its port ("203.0.113.10", "203.0.113.10:52144", "[2001:db8::1]:5060").
"""

import ipaddress
import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django import forms
from django.db.models import Q

_BRACKETED = re.compile(r"\[(?P<ip>[^\]]*)\](?::(?P<port>[0-9]{1,5}))?")
_IPV4_AND_PORT = re.compile(r"(?P<ip>[0-9.]+):(?P<port>[0-9]{1,5})")


@dataclass(frozen=True)
class Address:
    """An IP address as typed (`ip`, valid) and its port, if one was given."""

    ip: str
    port: int | None = None

    @property
    def spellings(self) -> list[str]:
        """The address as typed and in its usual short form (an IPv6 address in lower case,
        its zeros compressed)."""
        return list(dict.fromkeys([self.ip, ipaddress.ip_address(self.ip).compressed]))

    @property
    def hosts(self) -> list[str]:
        """The address as written before a port: an IPv6 address in brackets."""
        return [f"[{ip}]" if ":" in ip else ip for ip in self.spellings]


def parse_address(text: str) -> Address | None:
    """The address `text` writes, or None when it is not one."""
    text = text.strip()
    bracketed = _BRACKETED.fullmatch(text)
    match = bracketed or _IPV4_AND_PORT.fullmatch(text)
    ip, port = (match["ip"], match["port"]) if match else (text, None)
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return None
    # A scoped address (fe80::1%eth0) names an interface of the appliance: never stored.
    if (bracketed and parsed.version != 6) or "%" in ip:
        return None
    if port is not None and not 0 < int(port) <= 65535:
        return None
    return Address(ip, int(port) if port is not None else None)


def endpoint_condition(field: str, address: Address) -> Q:
    """The rows whose `field`, an address and its port as the appliance writes it
    (models.EndpointField), is `address`: exactly when a port is given, else with any port.

    Without a port, `startswith` asks for a prefix (`LIKE '203.0.113.10:%'`), which
    PostgreSQL reads as a range of the column's (address, time) index: the column compares
    bytes (the "C" collation), as a prefix range needs. The colon keeps 203.0.113.1 from
    finding 203.0.113.10.
    """
    if address.port is not None:
        return Q(**{f"{field}__in": [f"{host}:{address.port}" for host in address.hosts]})
    whole = Q(**{f"{field}__in": list(dict.fromkeys([*address.spellings, *address.hosts]))})
    prefixes = (Q(**{f"{field}__startswith": f"{host}:"}) for host in address.hosts)
    return reduce(or_, prefixes, whole)


class AddressField(forms.CharField):
    """An IP address, with or without its port, as an `Address`."""

    default_error_messages = {
        "invalid": "Enter an IP address, with or without its port: 203.0.113.10, "
        "203.0.113.10:5060, 2001:db8::1 or [2001:db8::1]:5060.",
    }

    def to_python(self, value) -> Address | None:
        text = super().to_python(value)
        if not text:
            return None
        address = parse_address(text)
        if address is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return address
