"""The door's counters and anomalies, from check-ins recorded by the door's own desk."""

from __future__ import annotations

from pathlib import Path

from examkiosk.app.demo_venue import build_demo_venue
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.door_overview import door_overview
from examkiosk.core.face_check import FaceService
from examkiosk.core.roster import all_candidates
from hardware.cards.document import DocumentType, IdentityDocument, ReadingMethod
from hardware.cards.manual import manual_document


def card(number: str, name: str) -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number=number,
        name=name,
        reading_method=ReadingMethod.SIMULATED,
    )


def test_counts_and_anomalies_follow_the_decisions(tmp_path: Path) -> None:
    venue = build_demo_venue(tmp_path / "v", faces_dir=None, candidates=5, items=12)
    station = venue.station
    desk = CheckInDesk(station, FaceService(None))
    people = all_candidates(station.store)
    empty = door_overview(station.store)
    assert (empty.counts.expected, empty.counts.not_arrived, empty.anomalies) == (5, 5, ())

    # No face check here: every recommendation is "review", so admitting is an override.
    a = desk.assess(card(people[0].id_number, people[0].name), None, None)
    desk.decide(a, admit=True, invigilator="甲", reason="人工核对照片一致")
    r = desk.assess(card(people[1].id_number, people[1].name), None, None)
    desk.decide(r, admit=False, invigilator="甲", reason="证件与本人不符")
    m = desk.assess(manual_document(people[2].id_number, "", "芯片损坏"), None, None)
    desk.decide(m, admit=True, invigilator="乙", reason="芯片损坏，人工核对")

    overview = door_overview(station.store)
    c = overview.counts
    assert (c.expected, c.admitted, c.refused, c.manual, c.not_arrived) == (5, 2, 1, 1, 2)
    kinds = [(x.kind, x.name) for x in overview.anomalies]
    assert kinds == [
        ("manual", people[2].name),
        ("refused", people[1].name),
        ("override", people[0].name),
    ]
    assert overview.anomalies[1].detail == "证件与本人不符"
    station.close()
