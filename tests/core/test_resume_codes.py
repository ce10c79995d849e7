"""Resume codes: checked offline, single use, every try audited."""

from __future__ import annotations

import json

import pytest

from examkiosk.core.errors import Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import ResumeCodeRequired, WrongResumeCode
from examkiosk.core.resume_codes import parse_request, resume_code
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock


def _types(station: Station) -> list[str]:
    return [r[0] for r in station.store.query("SELECT type FROM events ORDER BY seq")]


def _outage(station: Station, clock: FakeClock, seconds: float) -> ResumeCodeRequired:
    clock.advance(seconds)
    with pytest.raises(ResumeCodeRequired) as caught:
        ExamEngine(station, boot="boot-1").login(TICKET, ID_NUMBER)
    return caught.value


def test_long_outage_needs_a_code_that_works_once(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    needed = _outage(station, clock, 300)
    assert needed.request.startswith(attempt.attempt_id.replace("-", "")[:8].upper())
    assert "续考码" in needed.zh
    code = resume_code(engine.resume_secret(), "C1", needed.request)
    assert len(code) == 8 and code.isdigit()

    seat = ExamEngine(station, boot="boot-1")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    with pytest.raises(WrongResumeCode):
        seat.resume_with_code(TICKET, ID_NUMBER, wrong, invigilator="王老师")
    assert "attempt.resume_code_refused" in _types(station)
    resumed = seat.resume_with_code(
        TICKET, ID_NUMBER, f" {code[:4]} {code[4:]} ", invigilator="王老师"
    )
    assert resumed.attempt_id == attempt.attempt_id
    event = json.loads(
        station.store.query(
            "SELECT payload_json FROM events WHERE type = 'attempt.resumed' ORDER BY seq DESC LIMIT 1"
        )[0][0]
    )
    assert event["resume_code"] == needed.request and event["invigilator"] == "王老师"

    # The same code after the next long outage is refused: the request has moved on.
    again = _outage(station, clock, 300)
    assert again.request != needed.request
    with pytest.raises(WrongResumeCode):
        ExamEngine(station, boot="boot-1").resume_with_code(TICKET, ID_NUMBER, code)


def test_a_code_for_another_candidate_or_package_does_not_work(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    engine.login(TICKET, ID_NUMBER)
    needed = _outage(station, clock, 300)
    seat = ExamEngine(station, boot="boot-1")
    for code in (
        resume_code(engine.resume_secret(), "C2", needed.request),
        resume_code(b"another package's secret", "C1", needed.request),
    ):
        with pytest.raises(WrongResumeCode):
            seat.resume_with_code(TICKET, ID_NUMBER, code)


def test_short_outage_resumes_without_a_code(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    engine.login(TICKET, ID_NUMBER)
    clock.advance(60)
    assert ExamEngine(station, boot="boot-1").login(TICKET, ID_NUMBER).state == "in_progress"


def test_malformed_requests_are_explained() -> None:
    with pytest.raises(Refused, match="request"):
        parse_request("hello")
    assert parse_request(" 3f2a9c1b-12 ") == ("3F2A9C1B", 12)
