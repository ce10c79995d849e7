"""Seat sign-in cannot be used to try ID numbers or resume codes: locks, audit, unlock."""

from __future__ import annotations

import pytest

from examkiosk.core.attempt_sessions import ResumeCodesExhausted, TakeoverRequired
from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.errors import Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.exam_errors import ResumeCodeRequired, SessionMoved, WrongResumeCode
from examkiosk.core.resume_codes import package_secret, resume_code
from examkiosk.core.seat_guard import SeatLocked, unlock
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock

INVIGILATOR = Person("I1", "李监考", "invigilator")


def test_full_width_digits_and_spaces_sign_in(engine: ExamEngine) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in ID_NUMBER)  # what a Chinese IME types
    attempt = engine.login(f" {TICKET} ", f"{wide[:6]} {wide[6:]}")
    assert attempt.state == "in_progress"


def test_wrong_id_numbers_lock_the_ticket_until_an_invigilator_unlocks(
    engine: ExamEngine, station: Station
) -> None:
    for _ in range(4):
        with pytest.raises(Refused) as info:
            engine.login(TICKET, "110105199001019999")
        assert not isinstance(info.value, SeatLocked)
    with pytest.raises(SeatLocked):
        engine.login(TICKET, "110105199001019999")
    with pytest.raises(SeatLocked):  # now even the right number waits for the invigilator
        engine.login(TICKET, ID_NUMBER)
    types = [e.type for e in station.events()]
    assert types.count("audit.seat_signin_failed") == 5 and "audit.seat_locked" in types
    with pytest.raises(NotAllowed):
        unlock(station, Person("T1", "技术员", "technician"), TICKET)
    unlock(station, INVIGILATOR, TICKET)
    assert station.events()[-1].payload["by"] == "I1"
    assert engine.login(TICKET, ID_NUMBER).state == "in_progress"


def test_a_second_sign_in_to_a_running_exam_needs_an_invigilator(
    engine: ExamEngine, station: Station, clock: FakeClock
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    engine.save_answer(attempt.attempt_id, "A1-1", ["C"])
    clock.advance(3)
    engine.tick(attempt.attempt_id)  # the candidate is working at the first seat
    other_seat = ExamEngine(station, boot="boot-1")
    with pytest.raises(TakeoverRequired):
        other_seat.login(TICKET, ID_NUMBER)
    assert station.events()[-1].type == "audit.seat_takeover_refused"
    with pytest.raises(NotAllowed):
        other_seat.login(TICKET, ID_NUMBER, takeover_by=Person("T1", "技术员", "technician"))
    moved = other_seat.login(TICKET, ID_NUMBER, takeover_by=INVIGILATOR)
    assert moved.attempt_id == attempt.attempt_id
    approval = [e for e in station.events() if e.type == "audit.seat_takeover"]
    assert approval[-1].payload["by"] == "I1"
    with pytest.raises(SessionMoved):  # the first seat stops saving
        engine.save_answer(attempt.attempt_id, "A1-1", ["D"])


def test_resume_codes_stop_after_five_wrong_tries_until_unlocked(
    station: Station, clock: FakeClock
) -> None:
    first = ExamEngine(station, boot="boot-1")
    attempt = first.login(TICKET, ID_NUMBER)
    clock.advance(600)  # a long outage on a new boot: a resume code is needed
    seat = ExamEngine(station, boot="boot-2")
    with pytest.raises(ResumeCodeRequired):
        seat.login(TICKET, ID_NUMBER)
    for _ in range(5):
        with pytest.raises(WrongResumeCode):
            seat.resume_with_code(TICKET, ID_NUMBER, "00000000", invigilator="")
    request = seat.resume_request(attempt.attempt_id)
    code = resume_code(package_secret(station.store), "C1", request)
    with pytest.raises(ResumeCodesExhausted):  # even the right code waits now
        seat.resume_with_code(TICKET, ID_NUMBER, code, invigilator="")
    unlock(station, INVIGILATOR, TICKET)
    resumed = seat.resume_with_code(TICKET, ID_NUMBER, code, invigilator="李监考")
    assert resumed.state == "in_progress"
