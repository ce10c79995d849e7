"""The exam engine: a candidate's attempt, answers saved as given, time, submission.

Every change is one store transaction with its outbox event; `save_answer` returns only
after the commit, so the seat acknowledges an answer on screen only when it is durable. The
same transaction folds in the exam time that passed (a monotonic delta), so the persisted
time is never older than the last answer.

An engine runs a *session* per attempt it logged in: a later login elsewhere (another
process, a spare station) takes the attempt over and this engine's writes are refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from examkiosk.core import roster, seat_guard
from examkiosk.core.attempt import (
    ATTEMPT_COLUMNS,
    Attempt,
    SeatState,
    Tick,
    answer_text,
    attempt_from_row,
    candidate_by_id,
    current_exam,
)
from examkiosk.core.attempt_sessions import SessionKeeper
from examkiosk.core.authz import Person
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.exam_errors import AttemptClosed, SectionLocked, TimeUp
from examkiosk.core.paper import Item, Paper, build_paper
from examkiosk.core.resume_codes import package_secret, request_text
from examkiosk.core.roster import Candidate
from examkiosk.core.scoring import Receipt, make_receipt
from examkiosk.core.seat_guard import normalise_entry
from examkiosk.core.station import Station
from examkiosk.core.timing import ExamSettings, Outage

__all__ = ["Attempt", "ExamEngine", "Item", "Receipt", "SeatState", "Tick", "answer_text"]


class ExamEngine:
    def __init__(self, station: Station, *, boot: str | None = None) -> None:
        self.station = station
        self._keeper = SessionKeeper(station, boot)
        self._paper: Paper | None = None
        self._settings: ExamSettings | None = None
        self.last_outage: Outage | None = None  # what the last resume counted, for the seat

    # -- the paper and settings (loaded once: a package is never replaced mid-sitting) --

    def settings(self) -> ExamSettings:
        if self._settings is None:
            self._settings = ExamSettings.from_package(current_exam(self.station))
        return self._settings

    def paper(self) -> Paper:
        if self._paper is None:
            content = current_exam(self.station)
            rows = self.station.store.query(
                "SELECT item_id, section_id, position, body_json FROM items ORDER BY position"
            )
            self._paper = build_paper(
                rows, content.get("sections") or [], content.get("settings") or {}
            )
        return self._paper

    def items(self) -> list[Item]:
        return self.paper().items()

    # -- reading --

    def attempt(self, attempt_id: str) -> Attempt:
        rows = self.station.store.query(
            f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE attempt_id = ?", (attempt_id,)
        )
        if not rows:
            raise NotFound("找不到该作答记录。", "This attempt does not exist.")
        return attempt_from_row(rows[0])

    def attempt_for(self, candidate_id: str) -> Attempt | None:
        rows = self.station.store.query(
            f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE candidate_id = ?", (candidate_id,)
        )
        return attempt_from_row(rows[0]) if rows else None

    def answers(self, attempt_id: str) -> dict[str, list[str]]:
        rows = self.station.store.query(
            "SELECT item_id, answer_json FROM answers WHERE attempt_id = ?", (attempt_id,)
        )
        return {r[0]: list(json.loads(r[1])) for r in rows}

    def flags(self, attempt_id: str) -> frozenset[str]:
        rows = self.station.store.query(
            "SELECT item_id FROM attempt_flags WHERE attempt_id = ?", (attempt_id,)
        )
        return frozenset(r[0] for r in rows)

    def _runtime(self, attempt_id: str) -> dict[str, Any]:
        rows = self.station.store.query(
            "SELECT resumes_used, current_item, section_reached, origin, last_wall_ms "
            "FROM attempt_runtime WHERE attempt_id = ?",
            (attempt_id,),
        )
        if not rows:
            return {
                "resumes_used": 0,
                "current_item": None,
                "section_reached": 0,
                "origin": "local",
                "last_wall_ms": None,
            }
        return dict(
            zip(
                ("resumes_used", "current_item", "section_reached", "origin", "last_wall_ms"),
                rows[0],
                strict=True,
            )
        )

    def resume_request(self, attempt_id: str) -> str:
        return request_text(attempt_id, int(self._runtime(attempt_id)["resumes_used"]))

    def locked_sections(self, attempt_id: str) -> frozenset[str]:
        reached = int(self._runtime(attempt_id)["section_reached"])
        sections = self.paper().sections
        return frozenset(s.section_id for s in sections[:reached] if s.lock_on_leave)

    def seat_state(self, attempt_id: str) -> SeatState:
        attempt = self.attempt(attempt_id)
        candidate = candidate_by_id(self.station, attempt.candidate_id)
        runtime = self._runtime(attempt_id)
        return SeatState(
            attempt=attempt,
            candidate=candidate,
            paper=self.paper().for_candidate(attempt.seed),
            answers=self.answers(attempt_id),
            flags=self.flags(attempt_id),
            current_item=runtime["current_item"],
            locked_sections=self.locked_sections(attempt_id),
            settings=self.settings(),
            resume_request=request_text(attempt_id, int(runtime["resumes_used"])),
        )

    # -- login, sessions and resume --

    def identify(self, ticket: str, id_number: str) -> Candidate:
        """The candidate, if ticket and ID number agree and the door admitted them (or their
        attempt was moved here from another station).

        Full-width digits and spaces are normalised. After SEAT_MAX_FAILURES wrong ID numbers
        for one ticket the ticket is locked until an invigilator unlocks it (seat_guard);
        every failure is audited."""
        ticket, id_number = normalise_entry(ticket), normalise_entry(id_number)
        seat_guard.check_not_locked(self.station, ticket)
        candidate = roster.by_ticket(self.station.store, ticket)
        if candidate.id_number.upper() != id_number:
            seat_guard.record_failure(self.station, ticket)
        checked = self.station.store.query(
            "SELECT decision FROM checkins WHERE candidate_id = ?", (candidate.candidate_id,)
        )
        attempt = self.attempt_for(candidate.candidate_id)
        moved_here = attempt is not None and self._runtime(attempt.attempt_id)["origin"] != "local"
        if not moved_here and (not checked or checked[0][0] != "admitted"):
            raise Refused(
                "该考生尚未在入口完成身份核验，请先到入口签到。",
                "This candidate has not been checked in at the door. Please check in first.",
            )
        return candidate

    def login(self, ticket: str, id_number: str, *, takeover_by: Person | None = None) -> Attempt:
        """Start the candidate's attempt, or resume it; ResumeCodeRequired after a long
        outage, AttemptClosed if it was submitted or moved to another station,
        TakeoverRequired while it is running at another seat (unless `takeover_by`, an
        invigilator, approves)."""
        candidate = self.identify(ticket, id_number)
        attempt = self.attempt_for(candidate.candidate_id)
        if attempt is None:
            if not len(self.paper()):
                raise Refused(
                    "本机还没有可用的试卷（试卷尚未启封，或考试包未导入），请联系考点管理员。",
                    "There is no paper on this station yet (it is still sealed, or no package "
                    "was imported). Call the venue administrator.",
                )
            self.last_outage = None
            return self._keeper.start(candidate, self.settings())
        if attempt.state != "in_progress":
            if attempt.state == "submitted":
                return attempt  # the seat shows the receipt again
            raise AttemptClosed(attempt.state)
        return self._resume(attempt, code=None, invigilator="", takeover_by=takeover_by)

    def _resume(
        self,
        attempt: Attempt,
        *,
        code: str | None,
        invigilator: str,
        takeover_by: Person | None = None,
    ) -> Attempt:
        outage = self._keeper.resume(
            attempt,
            self.settings().policy,
            code=code,
            invigilator=invigilator,
            takeover_by=takeover_by,
        )
        if outage is not None:
            self.last_outage = outage
        resumed = self.attempt(attempt.attempt_id)
        if resumed.remaining_ms == 0:
            self.submit(attempt.attempt_id, reason="time_up")
            return self.attempt(attempt.attempt_id)
        return resumed

    def holds_session(self, attempt_id: str) -> bool:
        """True while this engine's session on the attempt has not been taken over."""
        return self._keeper.owns(attempt_id)

    def resume_with_code(
        self, ticket: str, id_number: str, code: str, *, invigilator: str = ""
    ) -> Attempt:
        """Resume after a long outage with the invigilator's single-use code."""
        candidate = self.identify(ticket, id_number)
        attempt = self.attempt_for(candidate.candidate_id)
        if attempt is None or attempt.state != "in_progress":
            raise Refused("该考生没有可继续的作答。", "This candidate has no attempt to resume.")
        return self._resume(attempt, code=code, invigilator=invigilator)

    def tick(self, attempt_id: str) -> Tick:
        """Persist the time that passed; at zero, submit (reason "time_up")."""
        with self.station.store.transaction() as conn:
            elapsed, duration, jump = self._keeper.advance(conn, attempt_id)
            receipt = self._submit_in(conn, attempt_id, "time_up") if elapsed >= duration else None
        return Tick(max(0, duration - elapsed), elapsed, jump, receipt)

    # -- answers, flags, navigation --

    def _item(self, item_id: str) -> Item:
        item = self.paper().item(item_id)
        if item is None:
            raise NotFound("试卷中没有这道题。", "This item is not in the paper.", detail=item_id)
        return item

    def _check_unlocked(self, attempt_id: str, item: Item) -> None:
        if not any(s.lock_on_leave for s in self.paper().sections):
            return  # the usual paper: no query on the hot path of every answer
        if item.section_id in self.locked_sections(attempt_id):
            section = self.paper().sections[self.paper().section_index(item.item_id)]
            raise SectionLocked(section.title)

    def save_answer(self, attempt_id: str, item_id: str, answer: Sequence[str]) -> int:
        """Commit one answer (an empty list clears it) with its event and the time that
        passed; returns the event seq once durable. TimeUp if time had run out."""
        item = self._item(item_id)
        chosen = item.normalize(answer)
        with self.station.store.transaction() as conn:
            elapsed, duration, _jump = self._keeper.advance(conn, attempt_id)
            self._check_unlocked(attempt_id, item)
            if elapsed >= duration:
                receipt = self._submit_in(conn, attempt_id, "time_up")
            else:
                conn.execute(
                    "INSERT INTO answers (attempt_id, item_id, answer_json, saved_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(attempt_id, item_id) DO UPDATE SET "
                    "answer_json = excluded.answer_json, saved_at = excluded.saved_at",
                    (
                        attempt_id,
                        item_id,
                        json.dumps(chosen),
                        self.station.clock.wall().isoformat(),
                    ),
                )
                event = self.station.record(
                    conn,
                    "answer.saved",
                    {
                        "attempt_id": attempt_id,
                        "item_id": item_id,
                        "answer": chosen,
                        "elapsed_ms": elapsed,
                    },
                )
                return event.seq
        raise TimeUp(receipt)

    def set_flag(self, attempt_id: str, item_id: str, flagged: bool) -> None:
        self._item(item_id)
        with self.station.store.transaction() as conn:
            self._keeper.advance(conn, attempt_id)
            if flagged:
                conn.execute(
                    "INSERT OR IGNORE INTO attempt_flags VALUES (?, ?)", (attempt_id, item_id)
                )
            else:
                conn.execute(
                    "DELETE FROM attempt_flags WHERE attempt_id = ? AND item_id = ?",
                    (attempt_id, item_id),
                )
            self.station.record(
                conn,
                "item.flagged",
                {
                    "attempt_id": attempt_id,
                    "item_id": item_id,
                    "flagged": flagged,
                },
            )

    def move_to(self, attempt_id: str, item_id: str) -> frozenset[str]:
        """Remember where the candidate is (a restart returns there); entering a later
        section locks the sections left whose rules say so. Returns the locked sections."""
        item = self._item(item_id)
        self._check_unlocked(attempt_id, item)
        target = self.paper().section_index(item_id)
        sections = self.paper().sections
        with self.station.store.transaction() as conn:
            self._keeper.advance(conn, attempt_id)
            reached = int(
                conn.execute(
                    "SELECT section_reached FROM attempt_runtime WHERE attempt_id = ?",
                    (attempt_id,),
                ).fetchone()[0]
            )
            conn.execute(
                "UPDATE attempt_runtime SET current_item = ?, section_reached = ? "
                "WHERE attempt_id = ?",
                (item_id, max(reached, target), attempt_id),
            )
            for section in sections[reached:target]:
                if section.lock_on_leave:
                    self.station.record(
                        conn,
                        "section.locked",
                        {
                            "attempt_id": attempt_id,
                            "section_id": section.section_id,
                        },
                    )
        return self.locked_sections(attempt_id)

    # -- submission --

    def _submit_in(self, conn: Any, attempt_id: str, reason: str) -> Receipt:
        rows = conn.execute(
            "SELECT item_id, answer_json FROM answers WHERE attempt_id = ?", (attempt_id,)
        ).fetchall()
        answers = {r[0]: list(json.loads(r[1])) for r in rows}
        receipt = make_receipt(attempt_id, self.paper(), answers)
        candidate_id, elapsed = conn.execute(
            "SELECT candidate_id, elapsed_ms FROM attempts WHERE attempt_id = ?", (attempt_id,)
        ).fetchone()
        conn.execute(
            "UPDATE attempts SET state = 'submitted', submitted_at = ?, receipt = ? "
            "WHERE attempt_id = ? AND state = 'in_progress'",
            (self.station.clock.wall().isoformat(), receipt.answer_hash, attempt_id),
        )
        self.station.record(
            conn,
            "attempt.submitted",
            {
                "attempt_id": attempt_id,
                "candidate_id": candidate_id,
                "answers_sha256": receipt.answers_sha256,
                "answered": receipt.answered,
                "total": receipt.total,
                "score": receipt.score,
                "max_score": receipt.max_score,
                "elapsed_ms": elapsed,
                "reason": reason,
            },
        )
        return receipt

    def submit(self, attempt_id: str, *, reason: str = "candidate") -> Receipt:
        """Submit (reason "candidate", "time_up" or "invigilator"); returns the receipt."""
        with self.station.store.transaction() as conn:
            if attempt_id in self._keeper.sessions:
                self._keeper.advance(conn, attempt_id)
            else:
                state = conn.execute(
                    "SELECT state FROM attempts WHERE attempt_id = ?", (attempt_id,)
                ).fetchone()
                if state is None:
                    raise NotFound("找不到该作答记录。", "This attempt does not exist.")
                if state[0] != "in_progress":
                    raise AttemptClosed(state[0])
            return self._submit_in(conn, attempt_id, reason)

    def receipt(self, attempt_id: str) -> Receipt | None:
        attempt = self.attempt(attempt_id)
        if attempt.state != "submitted":
            return None
        return make_receipt(attempt_id, self.paper(), self.answers(attempt_id))

    def resume_secret(self) -> bytes:
        return package_secret(self.station.store)
