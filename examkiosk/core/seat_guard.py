"""Seat sign-in lock-out: a few wrong ID numbers for one admission ticket lock that ticket
until an invigilator unlocks it, so nobody can try ID numbers at a seat. Every failure, lock
and unlock is audited; the unlock names the invigilator."""

from __future__ import annotations

import unicodedata

from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import Refused
from examkiosk.core.station import Station
from examkiosk.store import staff as staff_sql

SEAT_MAX_FAILURES = 5


class SeatLocked(Refused):
    """The ticket is locked after wrong ID numbers; an invigilator unlocks it."""


def normalise_entry(text: str) -> str:
    """Full-width digits and letters (from a Chinese input method) become ASCII, spaces go,
    letters are upper-case: `１１０１ ０５` and `110105` are the same entry."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def _locked() -> SeatLocked:
    return SeatLocked(
        "该准考证号因多次输错证件号码已被锁定，请举手示意监考员到场解锁。",
        "This admission ticket is locked after several wrong ID numbers. Raise your hand: "
        "an invigilator will unlock it.",
    )


def check_not_locked(station: Station, ticket: str) -> None:
    with station.store.reading() as conn:
        _failures, locked = staff_sql.seat_failures(conn, ticket)
    if locked:
        raise _locked()


def record_failure(station: Station, ticket: str) -> None:
    """Count a wrong ID number for `ticket` (audited) and raise the refusal to show."""
    with station.store.transaction() as conn:
        failures, locked = staff_sql.record_seat_failure(
            conn, ticket, station.clock.wall().isoformat(), SEAT_MAX_FAILURES
        )
        audit(station, conn, None, "seat_signin_failed", {"ticket": ticket, "failures": failures})
        if locked and failures == SEAT_MAX_FAILURES:
            audit(station, conn, None, "seat_locked", {"ticket": ticket})
    if locked:
        raise _locked()
    raise Refused(
        "准考证号与证件号码不匹配，请核对后重试。",
        "The admission ticket and ID number do not match. Check them and try again.",
    )


def unlock(station: Station, by: Person, ticket: str) -> None:
    """An invigilator lifts the lock on `ticket` (and the resume-code tries of its attempt)."""
    require(by, "seat.unlock")
    ticket = normalise_entry(ticket)
    with station.store.transaction() as conn:
        staff_sql.clear_seat_failures(conn, ticket)
        audit(station, conn, by, "seat_unlocked", {"ticket": ticket})


def locked_tickets(station: Station) -> list[str]:
    with station.store.reading() as conn:
        return staff_sql.locked_seats(conn)
