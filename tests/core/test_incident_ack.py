"""An invigilator acknowledges a proctoring incident with a note: recorded with their name in
the same transaction, once, and refused plainly (changing nothing) without a note, by a
technician, twice, or for an incident that does not exist."""

from __future__ import annotations

import pytest

from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.proctor_incidents import acknowledge, incidents, unacknowledged
from examkiosk.core.proctoring import Proctor
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET

LI = Person("I1", "李监考", "invigilator")


def test_acknowledging_an_incident(engine: ExamEngine, station: Station) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    proctor = Proctor.for_attempt(station, FaceService(None), attempt.attempt_id)
    first = proctor.take(None, "camera unplugged").incident_seq
    second = proctor.take(None, "camera unplugged").incident_seq
    assert first is not None and second is not None
    assert unacknowledged(station) == 2
    events_before = len(station.events())

    for person, note, error in (
        (None, "已处理", NotAllowed),
        (Person("T1", "技术员", "technician"), "已处理", NotAllowed),
        (LI, "   ", Refused),
        (LI, "字" * 501, Refused),
    ):
        with pytest.raises(error):
            acknowledge(station, person, first, note)
    with pytest.raises(NotFound):
        acknowledge(station, LI, 999_999, "已处理")
    assert len(station.events()) == events_before, "a refusal must change nothing"

    done = acknowledge(station, LI, first, "  已到座位检查，\n摄像头线松了，已插好 ")
    assert done.acknowledged and done.acknowledged_by == "I1"
    assert done.note == "已到座位检查， 摄像头线松了，已插好"
    event = station.events()[-1]
    assert event.type == "audit.incident_acknowledged"
    assert event.payload["by"] == "I1" and event.payload["by_name"] == "李监考"
    assert event.payload["incident_seq"] == first
    assert event.payload["attempt_id"] == attempt.attempt_id
    assert unacknowledged(station) == 1
    listed = {i.seq: i for i in incidents(station)}
    assert listed[first].acknowledged_by_name == "李监考" and not listed[second].acknowledged

    with pytest.raises(Refused, match="already acknowledged by 李监考"):
        acknowledge(station, Person("I2", "王监考", "invigilator"), first, "再看一次")
    assert listed[first].to_dict()["note"] == done.note
