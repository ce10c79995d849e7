"""Seat sign-in cannot be used to try ID numbers or resume codes: locks, audit, unlock."""

from __future__ import annotations

import pytest

from examkiosk.core.authz import NotAllowed, Person
from examkiosk.core.errors import Refused
from examkiosk.core.exam import ExamEngine
from examkiosk.core.seat_guard import SeatLocked, unlock
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET

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
