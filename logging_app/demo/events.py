"""The demo's events on the appliance: Web Sessions, System and Security."""

import uuid
from datetime import datetime, timedelta

from .. import models, siem
from .core import CONSOLE_USERS, DAY, LOCAL_TIME, Demo, iso

# Names that are no console user, for FAIL_USER_NOT_FOUND.
UNKNOWN_USERS = ("root", "administrator", "test")
EXPIRED_USER = "former.staff"

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


def web_session_records(demo: Demo) -> list[dict]:
    def event(moment: datetime, event_type: str, principal: str, ip: str) -> dict:
        return {
            "event_id": demo.uuid(),
            "date_created": iso(moment, LOCAL_TIME),
            "event_type": event_type,
            "principal": principal,
            "ip_address": ip,
        }

    T = models.WebSessionEventType
    failures = (T.FAIL_BAD_CREDENTIALS, T.FAIL_USER_NOT_FOUND, T.FAIL_CREDENTIALS_EXPIRED)
    records = []
    for failure in demo.plan(failures, demo.days, weights=(6, 3, 1)):
        principal = {
            T.FAIL_BAD_CREDENTIALS: demo.rng.choice(CONSOLE_USERS),
            T.FAIL_USER_NOT_FOUND: demo.rng.choice(UNKNOWN_USERS),
            T.FAIL_CREDENTIALS_EXPIRED: EXPIRED_USER,
        }[failure]
        records.append(event(demo.moment(), failure, principal, _client_ip(demo)))
    # Sign-ins: SUCCESS_INTERACTIVE and SUCCESS come together; the session ends with a
    # LOGOUT by the user or a SESSION_TIMEOUT by the system (anonymousUser).
    endings = demo.plan((T.LOGOUT, T.SESSION_TIMEOUT), demo.days * 4, weights=(3, 2))
    for ending in endings:
        user, ip = demo.rng.choice(CONSOLE_USERS), _client_ip(demo)
        signed_in = demo.moment(before=timedelta(hours=2))
        records.append(event(signed_in, T.SUCCESS_INTERACTIVE, user, ip))
        records.append(event(signed_in, T.SUCCESS, user, ip))
        ended = signed_in + timedelta(minutes=demo.rng.randint(2, 90))
        principal = user if ending == T.LOGOUT else models.ANONYMOUS_PRINCIPAL
        records.append(event(ended, ending, principal, ip))
    return records


def _client_ip(demo: Demo) -> str:
    if demo.rng.random() < 0.2:
        return f"2001:db8::{demo.rng.randint(1, 0xFFFF):x}"
    return f"198.51.100.{demo.rng.randint(1, 254)}"


def system_records(demo: Demo) -> list[dict]:
    T, L = models.SystemEventType, models.Level

    def event(moment: datetime, event_type: str, level: str, message: str, details="") -> dict:
        return {
            "event_id": demo.uuid(),
            "timestamp": iso(moment),
            "event_type": event_type,
            "level": level,
            "message": message,
            "details": details,
        }

    hour = demo.now.replace(minute=0, second=0, microsecond=0)
    records = [
        heartbeat_record(hour - timedelta(hours=h), event_id=demo.uuid())
        for h in range(demo.days * 24)
    ]
    for day in range(demo.days):
        night = demo.start + (day + 1) * DAY
        night = night.replace(hour=2, minute=0, second=0, microsecond=0)
        if night >= demo.now:
            continue
        if day % 9 == 4:
            records.append(
                event(night, T.BACKUP, L.ERROR, "Nightly backup failed", "No space left")
            )
        else:
            size = demo.rng.randint(380, 460)
            records.append(event(night, T.BACKUP, L.INFO, "Nightly backup completed", f"{size} MB"))
    # One of everything else, at random moments.
    update = demo.moment(before=timedelta(hours=1))
    records += [
        event(update, T.UPDATE, L.INFO, "Web appliance updated", "14.1.2 → 14.1.3"),
        event(update + timedelta(minutes=2), T.REBOOT, L.WARNING, "Appliance rebooted"),
        event(demo.moment(), T.RESTORE, L.WARNING, "Configuration restored from backup"),
        event(demo.moment(), T.OTHER, L.WARNING, "Disk usage above 80%"),
        event(demo.moment(), T.OTHER, L.CRITICAL, "TLS certificate expires in 3 days"),
        event(demo.moment(), T.REBOOT, L.ERROR, "Unexpected reboot (watchdog)"),
    ]
    return records


def heartbeat_record(moment: datetime, *, event_id: str | None = None) -> dict:
    """The System log's record of one heartbeat of the appliance, at `moment`."""
    T, L = models.SystemEventType, models.Level
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "timestamp": iso(moment),
        "event_type": T.HEARTBEAT,
        "level": L.INFO,
        "message": "Heartbeat",
        "details": "",
    }


def security_records(demo: Demo) -> list[dict]:
    records = []
    plan = demo.plan(DIRECT_SECURITY_EVENTS, demo.days * 3)
    for source_log, signature_id, name, severity in plan:
        when = demo.moment()
        account = demo.rng.choice(demo.accounts).username if demo.rng.random() < 0.5 else ""
        records.append(
            {
                "event_id": demo.uuid(),
                "timestamp": iso(when),
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
                        "src": demo.rng.choice(demo.accounts).address,
                    },
                ),
                "account": account,
            }
        )
    return records
