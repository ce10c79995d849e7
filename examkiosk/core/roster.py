"""The sitting's candidates as the station holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from examkiosk.core.errors import NotFound
from examkiosk.store.db import Store

_COLUMNS = "candidate_id, ticket, name, id_number, seat, sitting_id, photo IS NOT NULL"


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    ticket: str  # 准考证号
    name: str
    id_number: str
    seat: str
    sitting_id: str
    has_photo: bool


@dataclass(frozen=True)
class RosterEntry:
    candidate: Candidate
    checkin: str  # "none" | "admitted" | "refused"
    exam: str  # "not_started" | "in_progress" | "submitted"


# What the door list and `roster list` call each state, (zh, en).
CHECKIN_STATES = {
    "none": ("未签到", "Not in"),
    "admitted": ("已放行", "Admitted"),
    "refused": ("已拒绝", "Refused"),
}
EXAM_STATES = {
    "not_started": ("未开始", "Not started"),
    "in_progress": ("作答中", "Sitting"),
    "submitted": ("已交卷", "Submitted"),
}


def state_text(table: dict[str, tuple[str, str]], state: str, lang: str) -> str:
    zh, en = table.get(state, (state, state))
    return en if lang.startswith("en") else zh


def _candidate(row: Any) -> Candidate:
    return Candidate(
        candidate_id=row[0],
        ticket=row[1],
        name=row[2],
        id_number=row[3],
        seat=row[4],
        sitting_id=row[5],
        has_photo=bool(row[6]),
    )


def all_candidates(store: Store) -> list[Candidate]:
    return [_candidate(r) for r in store.query(f"SELECT {_COLUMNS} FROM candidates ORDER BY seat")]


def by_id_number(store: Store, id_number: str) -> Candidate:
    rows = store.query(
        f"SELECT {_COLUMNS} FROM candidates WHERE upper(id_number) = upper(?)", (id_number,)
    )
    if not rows:
        raise NotFound(
            "本场考试名单中没有这个证件号码。请核对证件，或改用手工核验并记录原因。",
            "This ID number is not on this sitting's roster. Check the document, or use manual "
            "check-in and record why.",
        )
    return _candidate(rows[0])


def by_ticket(store: Store, ticket: str) -> Candidate:
    rows = store.query(f"SELECT {_COLUMNS} FROM candidates WHERE ticket = ?", (ticket.strip(),))
    if not rows:
        raise NotFound(
            "没有这个准考证号。请核对后重新输入。",
            "No candidate has this admission ticket number. Check it and type it again.",
        )
    return _candidate(rows[0])


def photo(store: Store, candidate_id: str) -> bytes | None:
    rows = store.query("SELECT photo FROM candidates WHERE candidate_id = ?", (candidate_id,))
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else None


def face_encodings(store: Store) -> dict[str, bytes]:
    rows = store.query(
        "SELECT candidate_id, face_encoding FROM candidates WHERE face_encoding IS NOT NULL"
    )
    return {r[0]: bytes(r[1]) for r in rows}


def roster_entries(store: Store) -> list[RosterEntry]:
    rows = store.query(
        "SELECT c.candidate_id, c.ticket, c.name, c.id_number, c.seat, c.sitting_id, "
        "c.photo IS NOT NULL, ci.decision, a.state FROM candidates c "
        "LEFT JOIN checkins ci USING (candidate_id) LEFT JOIN attempts a USING (candidate_id) "
        "ORDER BY c.seat"
    )
    return [
        RosterEntry(
            candidate=_candidate(r),
            checkin=r[7] or "none",
            exam={"submitted": "submitted", None: "not_started"}.get(r[8], "in_progress"),
        )
        for r in rows
    ]
