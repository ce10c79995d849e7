"""The check-in event says how identity was established and who decided: reading method,
passive authentication, the camera's device identity (a video file is "file:<name>" and
simulated), face and liveness verdicts, the signed-in person and whether the decision went
against the station's recommendation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from examkiosk.core.authz import Person
from examkiosk.core.checkin import CheckInDesk
from examkiosk.core.face_check import FaceService
from examkiosk.core.station import Station
from hardware.camera.enumerate import device_identity
from hardware.cards.document import DocumentType, IdentityDocument, PassiveAuth, ReadingMethod
from hardware.sim.video import write_video

INVIGILATOR = Person("T-07", "王老师", "invigilator")


def _document(method: ReadingMethod, passive: PassiveAuth) -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        number="11010519900202123X",
        name="李四",
        reading_method=method,
        passive_auth=passive,
        card_uid="04A1B2C3",
    )


def test_a_decision_against_the_recommendation_names_the_camera_and_the_person(
    station: Station, tmp_path: Path
) -> None:
    clip = write_video([np.full((120, 160, 3), 90, dtype=np.uint8)], tmp_path / "door.avi", fps=5)
    desk = CheckInDesk(station, FaceService(None), device_identity(str(clip)))
    assessment = desk.assess(_document(ReadingMethod.PCSC_APDU, PassiveAuth.PASSED), None, None)
    assert assessment.recommendation == "review"  # no face check here
    seq = desk.decide(
        assessment,
        admit=True,
        invigilator=INVIGILATOR.staff_number,
        reason="人工核对照片",
        person=INVIGILATOR,
    )
    event = next(e for e in station.events() if e.seq == seq)
    assert event.type == "checkin.admitted"
    payload = event.payload
    assert payload["reading_method"] == "pcsc_apdu" and payload["passive_auth"] == "passed"
    assert payload["camera"] == {"device": "file:door.avi", "simulated": True}
    assert payload["simulated"] is True  # the camera was a video file
    assert payload["face_verdict"] == "unavailable" and payload["liveness"] == "not_checked"
    assert payload["by"] == "T-07" and payload["by_role"] == "invigilator"
    assert payload["against_recommendation"] is True


def test_a_decision_along_the_recommendation_without_camera_or_sign_in(
    station: Station,
) -> None:
    desk = CheckInDesk(station, FaceService(None))
    assessment = desk.assess(_document(ReadingMethod.MANUAL, PassiveAuth.NOT_CHECKED), None, None)
    seq = desk.decide(assessment, admit=False, invigilator="门口", reason="证件不符")
    payload = next(e for e in station.events() if e.seq == seq).payload
    assert payload["camera"] == {"device": "none"} and payload["simulated"] is False
    assert payload["method"] == "manual" and payload["by"] == ""
    assert payload["against_recommendation"] is False  # "review", refused: not against


def test_a_camera_index_is_named_by_its_device_not_guessed() -> None:
    identity = device_identity("7")
    assert identity["simulated"] is False
    # /dev/video7 with its name (and USB id) where the kernel lists it; else said plainly.
    assert identity["device"] in ("/dev/video7", "index:7")
    assert device_identity("rtsp://10.0.0.5:554/door") == {
        "device": "url:10.0.0.5:554",
        "simulated": False,
    }
