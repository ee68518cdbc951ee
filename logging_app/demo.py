"""Demo data: some weeks in the life of a small appliance, as the records it would push.

`demo_records()` only builds records (the same seed and `now` give the same records);
`manage.py seed_demo` pushes them through the ingest service like the appliance would.
Every enumerated value of every log occurs at least once, whatever the number of days:
the first records of each kind walk through all the values, the rest are drawn at random.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import models, siem

GROUPS = ("Sales", "Support", "Engineering", "Management", "Operations")
FIRST_NAMES = (
    "alice", "bruno", "carla", "dario", "elena", "fabio", "giulia", "hugo", "irene", "jonas",
    "katia", "luca", "marta", "nico", "olga", "paolo", "rita", "sergio", "tania", "ugo",
)  # fmt: skip
LAST_NAMES = (
    "rossi", "bianchi", "ferrari", "esposito", "romano", "colombo", "ricci", "marino",
    "greco", "bruno", "gallo", "conti", "costa", "fontana", "moretti", "lombardi",
)  # fmt: skip
# Console users: who signs in to the web console and sends install and activation messages.
CONSOLE_USERS = ("admin", "s.verdi", "support.desk")
# Names that are no console user, for FAIL_USER_NOT_FOUND.
UNKNOWN_USERS = ("root", "administrator", "test")
EXPIRED_USER = "former.staff"
CONFERENCE_ROOMS = ("+390612349001", "+390612349002")
UNKNOWN_NUMBER = "+390612349999"
TRUNKS = ("trunk-eu-1", "trunk-us-1")
PLATFORMS = ("Android", "iOS")
LOCAL_TIME = ZoneInfo("Europe/Rome")

_DAY = timedelta(days=1)
_EXPIRY = timedelta(hours=72)

C = models.CallType
D = models.Disposition
H = models.HangupCause

# Outcomes of a call between two users, and how often: (disposition, hangup cause, weight).
INTERNAL_OUTCOMES = (
    (D.ANSWERED, H.NORMAL_CLEARING, 60),
    (D.NO_ANSWER, H.NO_ANSWER, 10),
    (D.BUSY, H.USER_BUSY, 6),
    (D.BUSY, H.CALL_REJECTED, 4),
    (D.CANCEL, H.NORMAL_CLEARING, 4),
    (D.CANCEL, H.NOT_DEFINED, 2),
    (D.FAILED, H.NOT_DEFINED, 2),
    (D.FAILED, H.BEARERCAPABILITY_NOTAVAIL, 1),
)
# Calls that go out by a trunk.
TRUNK_OUTCOMES = (
    (D.ANSWERED, H.NORMAL_CLEARING, 6),
    (D.NO_ANSWER, H.NO_USER_RESPONSE, 2),
    (D.FAILED, H.NORMAL_CIRCUIT_CONGESTION, 1),
    (D.FAILED, H.SUBSCRIBER_ABSENT, 1),
)
NO_ROUTE = (D.FAILED, H.NO_ROUTE_DESTINATION, 1)
# (kind of call, weight): kinds are the call types plus calls out by a trunk or to nobody.
CALL_KINDS = (
    ("CALL", 80),
    ("TRUNK", 8),
    ("NO_ROUTE", 2),
    ("TRANSFER", 4),
    ("3-WAY", 3),
    ("CONFERENCE", 3),
)

# Events the appliance sends to the security log directly: (source log, signature, name,
# severity). Together they cover every source log and every severity.
DIRECT_SECURITY_EVENTS = (
    ("appliance", "NTP-100", "Clock synchronised", 0),
    ("appliance", "LIC-100", "License check passed", 1),
    ("install-messages", "INS-100", "Install message sent", 2),
    ("activation-messages", "ACT-100", "Activation link consumed", 3),
    ("sip-sessions", "SIP-402", "SIP registration from a new address", 3),
    ("appliance", "TLS-200", "TLS handshake failure", 4),
    ("secure-messages", "MSG-310", "Secure message queue above threshold", 4),
    ("system", "SYS-900", "Appliance configuration changed", 5),
    ("web-sessions", "WEB-300", "Web console password changed", 5),
    ("appliance", "FW-100", "Blocked connection attempt", 6),
    ("appliance", "SIP-401", "Repeated SIP authentication failure", 7),
    ("cdr", "CDR-410", "Call to a premium-rate number refused", 7),
    ("console", "CON-520", "Console user created", 8),
    ("appliance", "SYS-940", "Disk encryption key rotated", 9),
    ("appliance", "SYS-950", "Firmware integrity check failed", 10),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    description: str
    virtual_number: str
    group: str
    address: str  # where its device connects from


def _iso(moment: datetime, zone: ZoneInfo | None = None) -> str:
    return (moment.astimezone(zone) if zone else moment).isoformat(timespec="seconds")


class _Demo:
    def __init__(self, *, rng: random.Random, now: datetime, days: int, accounts: int) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        self.start = now - days * _DAY
        self.accounts = self._accounts(accounts)

    # --- helpers ---

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _moment(self, *, before: timedelta = timedelta(minutes=5)) -> datetime:
        """A random moment of the period that is at least `before` in the past."""
        span = (self.now - before - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.uniform(0, max(span, 0)))

    def _plan(self, values: Sequence, count: int, weights: Sequence[int] | None = None) -> list:
        """`count` values (at least one of each): all of them once, then drawn at random."""
        rest = self.rng.choices(values, weights=weights, k=max(count - len(values), 0))
        return [*values, *rest]

    def _pair(self) -> tuple[DemoAccount, DemoAccount]:
        first, second = self.rng.sample(self.accounts, 2)
        return first, second

    def _accounts(self, count: int) -> list[DemoAccount]:
        names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
        chosen = self.rng.sample(names, len(names))
        # Beyond the combinations of names, the same names again with a number.
        chosen = [chosen[index % len(names)] for index in range(count)]
        return [
            DemoAccount(
                username=f"{first}.{last}{index // len(names) or ''}",
                description=f"{first.title()} {last.title()}",
                virtual_number=f"+39061234{index + 1:04d}",
                group=GROUPS[index % len(GROUPS)],
                address=f"203.0.113.{index % 250 + 1}",
            )
            for index, (first, last) in enumerate(chosen)
        ]

    # --- the logs ---

    def account_records(self) -> list[dict]:
        return [
            {
                "username": account.username,
                "description": account.description,
                "virtual_number": account.virtual_number,
                "group": account.group,
            }
            for account in self.accounts
        ]

    def cdr_records(self) -> list[dict]:
        kinds, weights = zip(*CALL_KINDS, strict=True)
        plan: list[tuple[str, tuple | None]] = [
            *(("CALL", outcome) for outcome in INTERNAL_OUTCOMES),
            *(("TRUNK", outcome) for outcome in TRUNK_OUTCOMES),
            *((kind, None) for kind in kinds if kind not in {"CALL", "TRUNK"}),
        ]
        calls = len(self.accounts) * self.days * 2
        plan += [(kind, None) for kind in self.rng.choices(kinds, weights, k=calls - len(plan))]
        records = []
        for sequence, (kind, outcome) in enumerate(plan, start=1):
            records += self._call(kind, outcome, sequence)
        return records

    def _outcome(self, outcomes: Sequence[tuple]) -> tuple:
        return self.rng.choices(outcomes, weights=[weight for *_, weight in outcomes])[0]

    def _leg(
        self,
        *,
        when: datetime,
        caller: DemoAccount,
        callee: DemoAccount | None,
        call_id: str,
        call_type: str,
        outcome: tuple,
        callee_number: str = "",
        callee_name: str = "",
        route: str = "",
    ) -> dict:
        disposition, hangup_cause, _ = outcome
        ringing = self.rng.randint(2, 25)
        talking = self.rng.randint(5, 1800) if disposition == D.ANSWERED else 0
        return {
            "event_id": self._uuid(),
            "call_date": _iso(when, LOCAL_TIME),
            "caller_number": caller.virtual_number,
            "caller": caller.description,
            "caller_group": caller.group,
            "callee_number": callee.virtual_number if callee else callee_number,
            "callee": callee.description if callee else callee_name,
            "callee_group": callee.group if callee else "",
            "total_duration": ringing + talking,
            "call_duration": talking,
            "disposition": disposition,
            "hangup_cause": hangup_cause,
            "call_id": call_id,
            "call_type": call_type,
            "call_route": route,
        }

    def _call(self, kind: str, outcome: tuple | None, sequence: int) -> list[dict]:
        # Calls end well before now: the CDR lists only finished calls.
        when = self._moment(before=timedelta(hours=1))
        call_id = f"{int(when.timestamp())}.{sequence}"
        answered = INTERNAL_OUTCOMES[0]
        caller, callee = self._pair()
        leg = {"caller": caller, "call_id": call_id}
        match kind:
            case "CALL":
                outcome = outcome or self._outcome(INTERNAL_OUTCOMES)
                return [
                    self._leg(when=when, callee=callee, call_type=C.CALL, outcome=outcome, **leg)
                ]
            case "TRUNK":
                return [
                    self._leg(
                        when=when,
                        callee=None,
                        callee_number=f"+4420794{self.rng.randint(0, 99999):05d}",
                        route=self.rng.choice(TRUNKS),
                        call_type=C.CALL,
                        outcome=outcome or self._outcome(TRUNK_OUTCOMES),
                        **leg,
                    )
                ]
            case "NO_ROUTE":
                return [
                    self._leg(
                        when=when,
                        callee=None,
                        callee_number=UNKNOWN_NUMBER,
                        call_type=C.CALL,
                        outcome=NO_ROUTE,
                        **leg,
                    )
                ]
            case "TRANSFER" | "3-WAY":
                # The first leg is answered; then the callee is transferred, or a third
                # party invited, on the same call id.
                third = self.rng.choice([a for a in self.accounts if a not in (caller, callee)])
                first = self._leg(when=when, callee=callee, call_type=kind, outcome=answered, **leg)
                later = when + timedelta(seconds=first["call_duration"] // 2 + 1)
                outcome = self._outcome(INTERNAL_OUTCOMES[:4])
                second = self._leg(when=later, callee=third, call_type=kind, outcome=outcome, **leg)
                return [first, second]
            case "CONFERENCE":
                room = self.rng.randrange(len(CONFERENCE_ROOMS))
                people = self.rng.sample(self.accounts, self.rng.randint(3, 5))
                return [
                    self._leg(
                        when=when + timedelta(seconds=self.rng.randint(0, 120)),
                        caller=person,
                        callee=None,
                        callee_number=CONFERENCE_ROOMS[room],
                        callee_name=f"Conference room {room + 1}",
                        call_id=call_id,
                        call_type=C.CONFERENCE,
                        outcome=answered,
                    )
                    for person in people
                ]
        raise ValueError(kind)

    def sip_records(self) -> list[dict]:
        """A session a day per account: CONNECT and DISCONNECT carry the address only."""
        records = []
        for account in self.accounts:
            for day in range(self.days):
                connected = self.start + day * _DAY + timedelta(hours=self.rng.uniform(6, 10))
                hours = timedelta(hours=self.rng.uniform(1, 10))
                address = f"{account.address}:{self.rng.randint(1024, 65535)}"
                uri = f"sip:{account.username}@voice.example"
                steps = [
                    (connected, "", models.SipEvent.CONNECT, f"TLS connection from {address}"),
                    (connected + timedelta(seconds=2), account.username, models.SipEvent.REGISTER,
                     f"REGISTER {uri} 200 OK"),
                    (connected + hours, account.username, models.SipEvent.UNREGISTER,
                     f"REGISTER {uri} expires=0 200 OK"),
                    (connected + hours + timedelta(seconds=1), "", models.SipEvent.DISCONNECT,
                     "TLS connection closed by the client"),
                ]  # fmt: skip
                records += [
                    {
                        "event_id": self._uuid(),
                        "timestamp": _iso(moment),
                        "username": username,
                        "event": event,
                        "details": details,
                        "remote_address": address,
                    }
                    for moment, username, event, details in steps
                    if moment < self.now  # a session still open has not ended yet
                ]
        return records

    def web_session_records(self) -> list[dict]:
        def event(moment: datetime, event_type: str, principal: str, ip: str) -> dict:
            return {
                "event_id": self._uuid(),
                "date_created": _iso(moment, LOCAL_TIME),
                "event_type": event_type,
                "principal": principal,
                "ip_address": ip,
            }

        T = models.WebSessionEventType
        failures = (T.FAIL_BAD_CREDENTIALS, T.FAIL_USER_NOT_FOUND, T.FAIL_CREDENTIALS_EXPIRED)
        records = []
        for failure in self._plan(failures, self.days, weights=(6, 3, 1)):
            principal = {
                T.FAIL_BAD_CREDENTIALS: self.rng.choice(CONSOLE_USERS),
                T.FAIL_USER_NOT_FOUND: self.rng.choice(UNKNOWN_USERS),
                T.FAIL_CREDENTIALS_EXPIRED: EXPIRED_USER,
            }[failure]
            records.append(event(self._moment(), failure, principal, self._client_ip()))
        # Sign-ins: SUCCESS_INTERACTIVE and SUCCESS come together; the session ends with a
        # LOGOUT by the user or a SESSION_TIMEOUT by the system (anonymousUser).
        endings = self._plan((T.LOGOUT, T.SESSION_TIMEOUT), self.days * 4, weights=(3, 2))
        for ending in endings:
            user, ip = self.rng.choice(CONSOLE_USERS), self._client_ip()
            signed_in = self._moment(before=timedelta(hours=2))
            records.append(event(signed_in, T.SUCCESS_INTERACTIVE, user, ip))
            records.append(event(signed_in, T.SUCCESS, user, ip))
            ended = signed_in + timedelta(minutes=self.rng.randint(2, 90))
            principal = user if ending == T.LOGOUT else models.ANONYMOUS_PRINCIPAL
            records.append(event(ended, ending, principal, ip))
        return records

    def _client_ip(self) -> str:
        if self.rng.random() < 0.2:
            return f"2001:db8::{self.rng.randint(1, 0xFFFF):x}"
        return f"198.51.100.{self.rng.randint(1, 254)}"

    def secure_message_records(self) -> list[dict]:
        """One report when a message is queued, and a later one when it is settled."""
        S = models.SecureMessageStatus
        statuses = (
            S.ENQUEUED,
            S.DELIVERED,
            S.EXPIRED,
            S.INVALID_RECIPIENT,
            S.INVALID_DEVICE,
            S.INVALID_PAYLOAD,
        )
        count = len(self.accounts) * self.days
        first_reports, later_reports = [], []
        for status in self._plan(statuses, count, weights=(3, 85, 4, 3, 3, 2)):
            sender, recipient = self._pair()
            if status == S.ENQUEUED:  # still within the 72 hours it may wait
                received = self.now - timedelta(hours=self.rng.uniform(0.1, 48))
            elif status == S.EXPIRED:
                received = self._moment(before=_EXPIRY + timedelta(hours=1))
            else:
                received = self._moment()
            # An invalid payload is the console's finding from the size, not a reported status.
            size = self.rng.choice((0, 650)) if status == S.INVALID_PAYLOAD else None
            queued = {
                "uuid": self._uuid(),
                "from": sender.username,
                "to": recipient.username,
                "tech_message": self.rng.random() < 0.1,
                "api_version": self.rng.choice(("1", "2")),
                "status": S.ENQUEUED,
                "send_attempts": 0,
                "received": _iso(received),
                "payload_size": size or self.rng.randint(40, 600),
            }
            first_reports.append(queued)
            if status in (S.ENQUEUED, S.INVALID_PAYLOAD):
                continue
            attempts = 0 if status == S.INVALID_RECIPIENT else self.rng.randint(1, 4)
            settled = received + (_EXPIRY if status == S.EXPIRED else timedelta(seconds=3))
            later_reports.append(
                queued
                | {
                    "status": status,
                    "send_attempts": attempts,
                    "processed": _iso(settled) if status == S.DELIVERED else None,
                }
            )
        return first_reports + later_reports

    def install_message_records(self) -> list[dict]:
        T = models.MessageType
        records = []
        plan = zip(
            self._plan(models.Variant.values, len(self.accounts) * 2, weights=(7, 3)),
            self._plan(T.values, len(self.accounts) * 2),
            self._plan((True, False), len(self.accounts) * 2, weights=(9, 1)),
            strict=True,
        )
        for variant, message_type, sent in plan:
            account = self.rng.choice(self.accounts)
            records.append(
                {
                    "event_id": self._uuid(),
                    "timestamp": _iso(self._moment()),
                    "account": account.username,
                    "platform": self.rng.choice(PLATFORMS),
                    "variant": variant,
                    "sent": sent,
                    "sent_by": self.rng.choice(CONSOLE_USERS),
                    "recipient": self._recipient(account, message_type),
                    "message_type": message_type,
                }
            )
        return records

    def _recipient(self, account: DemoAccount, message_type: str) -> str:
        if message_type == models.MessageType.EMAIL:
            return f"{account.username}@example.com"
        return f"+39333{self.rng.randint(0, 9999999):07d}"

    def activation_message_records(self) -> list[dict]:
        """Sent unconsumed; a later report marks most of the sent ones consumed."""
        T = models.MessageType
        sent_reports, consumed_reports = [], []
        count = len(self.accounts) * 2
        plan = zip(
            self._plan(T.values, count, weights=(1, 3)),
            self._plan((True, False), count, weights=(9, 1)),
            strict=True,
        )
        for message_type, sent in plan:
            account = self.rng.choice(self.accounts)
            when = self._moment(before=timedelta(hours=1))
            token = f"{self.rng.getrandbits(64):016x}"
            report = {
                "event_id": self._uuid(),
                "timestamp": _iso(when),
                "consumed": False,
                "account": account.username,
                "sent": sent,
                "sent_by": self.rng.choice(CONSOLE_USERS),
                "recipient": self._recipient(account, message_type),
                "message_type": message_type,
                "message_link": f"https://provisioning.example/p/{token[:8]}",
                "token": token,
                "validity": _iso(when + _EXPIRY),
            }
            sent_reports.append(report)
            # The first one is always consumed, so that both states occur.
            if sent and (not consumed_reports or self.rng.random() < 0.7):
                consumed_reports.append(report | {"consumed": True})
        return sent_reports + consumed_reports

    def system_records(self) -> list[dict]:
        T, L = models.SystemEventType, models.Level

        def event(moment: datetime, event_type: str, level: str, message: str, details="") -> dict:
            return {
                "event_id": self._uuid(),
                "timestamp": _iso(moment),
                "event_type": event_type,
                "level": level,
                "message": message,
                "details": details,
            }

        hour = self.now.replace(minute=0, second=0, microsecond=0)
        records = [
            event(hour - timedelta(hours=h), T.HEARTBEAT, L.INFO, "Heartbeat")
            for h in range(self.days * 24)
        ]
        for day in range(self.days):
            night = self.start + (day + 1) * _DAY
            night = night.replace(hour=2, minute=0, second=0, microsecond=0)
            if night >= self.now:
                continue
            if day % 9 == 4:
                records.append(
                    event(night, T.BACKUP, L.ERROR, "Nightly backup failed", "No space left")
                )
            else:
                size = self.rng.randint(380, 460)
                records.append(
                    event(night, T.BACKUP, L.INFO, "Nightly backup completed", f"{size} MB")
                )
        # One of everything else, at random moments.
        update = self._moment(before=timedelta(hours=1))
        records += [
            event(update, T.UPDATE, L.INFO, "Web appliance updated", "14.1.2 → 14.1.3"),
            event(update + timedelta(minutes=2), T.REBOOT, L.WARNING, "Appliance rebooted"),
            event(self._moment(), T.RESTORE, L.WARNING, "Configuration restored from backup"),
            event(self._moment(), T.OTHER, L.WARNING, "Disk usage above 80%"),
            event(self._moment(), T.OTHER, L.CRITICAL, "TLS certificate expires in 3 days"),
            event(self._moment(), T.REBOOT, L.ERROR, "Unexpected reboot (watchdog)"),
        ]
        return records

    def security_records(self) -> list[dict]:
        records = []
        plan = self._plan(DIRECT_SECURITY_EVENTS, self.days * 3)
        for source_log, signature_id, name, severity in plan:
            when = self._moment()
            account = self.rng.choice(self.accounts).username if self.rng.random() < 0.5 else ""
            records.append(
                {
                    "event_id": self._uuid(),
                    "timestamp": _iso(when),
                    "severity": severity,
                    "signature_id": signature_id,
                    "name": name,
                    "source_log": source_log,
                    "details": siem.cef_line(
                        signature_id=signature_id,
                        name=name,
                        severity=severity,
                        timestamp=when,
                        extensions={
                            "suser": account,
                            "src": self.rng.choice(self.accounts).address,
                        },
                    ),
                    "account": account,
                }
            )
        return records


def demo_records(
    *, days: int, accounts: int, seed: int | None, now: datetime
) -> dict[str, list[dict]]:
    """Records by ingest log name, accounts first, for `days` days up to `now` (aware)."""
    if accounts < 4:
        raise ValueError("The demo needs at least 4 accounts (a conference has 3 to 5).")
    if days < 1:
        raise ValueError("The demo needs at least 1 day.")
    demo = _Demo(rng=random.Random(seed), now=now, days=days, accounts=accounts)
    return {
        "accounts": demo.account_records(),
        "system": demo.system_records(),
        "web-sessions": demo.web_session_records(),
        "cdr": demo.cdr_records(),
        "sip-sessions": demo.sip_records(),
        "secure-messages": demo.secure_message_records(),
        "install-messages": demo.install_message_records(),
        "activation-messages": demo.activation_message_records(),
        "security": demo.security_records(),
    }
