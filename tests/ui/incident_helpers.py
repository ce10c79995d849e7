"""Proctoring incidents recorded the way a seat records them, for the invigilator screens'
tests and screenshots."""

from __future__ import annotations

import numpy as np
import pytest

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.proctoring import Proctor
from examkiosk.core.roster import all_candidates
from examkiosk.core.station import Station
from examkiosk.ui.signin import OpenGuard


def record_incidents(station: Station, face: FaceService) -> str:
    """An exam running with two incidents: an empty seat (a grey camera picture: stored as
    the snapshot) and a camera giving no picture at all. Returns the candidate's seat."""
    if face.engine is None:
        pytest.fail("the face engine is needed to see an empty seat (face test photos missing)")
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    attempt = ExamEngine(station).login(candidate.ticket, candidate.id_number)
    proctor = Proctor.for_attempt(station, face, attempt.attempt_id)
    empty_seat = np.full((480, 640, 3), 128, dtype=np.uint8)
    assert proctor.take(empty_seat).incident == "absent"
    assert proctor.take(None, "camera unplugged").incident == "camera_unavailable"
    return candidate.seat
