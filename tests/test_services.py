"""cdr_policy_update: the policy is saved and every change is a Security event."""

import pytest

from logging_app import models
from logging_app.services import cdr_policy_update
from tests.test_siem import _parse_cef

pytestmark = pytest.mark.django_db


def _update(period: str, duration: int, *, by: str = "admin", policy=None):
    return cdr_policy_update(
        policy=policy or models.CdrPolicy.current(),
        period=period,
        duration=duration,
        changed_by=by,
    )


def test_it_saves_the_policy_and_records_who_changed_it_from_what_to_what():
    policy = models.CdrPolicy.current()  # 1 YEAR, the default

    event = cdr_policy_update(policy=policy, period="DAY", duration=0, changed_by="carla")

    assert (policy.period, policy.duration) == ("DAY", 0)
    stored = models.CdrPolicy.current()
    assert (stored.period, stored.duration) == ("DAY", 0)
    assert (event.signature_id, event.name, event.severity) == ("CON-500", "CDR policy changed", 8)
    assert (event.source_log, event.account_name, event.source_id) == ("console", "carla", None)
    header, extensions = _parse_cef(event.details)
    assert header[4:7] == ["CON-500", "CDR policy changed", "8"]
    assert extensions["suser"] == "carla"
    assert extensions["act"] == "cdr_policy_changed"
    assert (extensions["cs1Label"], extensions["cs1"]) == ("previousPolicy", "1 YEAR")
    assert (extensions["cs2Label"], extensions["cs2"]) == ("newPolicy", "0 DAY (No-CDR)")
    assert extensions["msg"].startswith("carla changed the CDR policy from 1 YEAR to 0 DAY")
    assert "No-CDR: direct calls (CALL, TRANSFER) are not recorded" in extensions["msg"]


def test_it_queues_the_event_for_the_siem():
    event = _update("WEEK", 2)

    assert models.SiemOutbox.objects.get().security_event == event


def test_it_reads_the_previous_policy_from_the_database_not_from_the_instance():
    # An admin form sets the new values on the instance before saving it.
    policy = models.CdrPolicy.current()
    policy.period, policy.duration = "MONTH", 6

    event = _update("MONTH", 6, policy=policy)

    _, extensions = _parse_cef(event.details)
    assert (extensions["cs1"], extensions["cs2"]) == ("1 YEAR", "6 MONTH")


def test_it_records_every_change():
    _update("MONTH", 3, by="alice")
    _update("DAY", 0, by="bruno")
    _update("MONTH", 3, by="alice")

    events = models.SecurityEvent.objects.order_by("id")
    changes = [(e.account_name, _parse_cef(e.details)[1]["cs2"]) for e in events]
    assert changes == [("alice", "3 MONTH"), ("bruno", "0 DAY (No-CDR)"), ("alice", "3 MONTH")]


def test_it_records_nothing_when_nothing_changes():
    _update("WEEK", 2)

    assert _update("WEEK", 2) is None
    assert models.SecurityEvent.objects.count() == 1


@pytest.mark.parametrize(("period", "duration"), [("FORTNIGHT", 1), ("DAY", -1), ("DAY", "3")])
def test_it_refuses_values_outside_the_policy(period, duration):
    with pytest.raises(ValueError):
        _update(period, duration)

    stored = models.CdrPolicy.current()
    assert (stored.period, stored.duration) == ("YEAR", 1)
    assert not models.SecurityEvent.objects.exists()
