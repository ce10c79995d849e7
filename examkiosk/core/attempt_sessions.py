"""Attempt sessions and exam time: who holds an attempt, and the time that passed.

One `SessionKeeper` per engine. A session is opened by starting or resuming an attempt and
recorded in `attempt_runtime`; a later session (a restarted program, a spare station) takes
the attempt over, and `advance` then refuses the old one. `advance` runs inside the
caller's write transaction, so time is persisted with the change that needed it.
"""

from __future__ import annotations

import os
import secrets
import uuid
from typing import Any

from examkiosk.core.attempt import Attempt
from examkiosk.core.authz import Person, audit, require
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.exam_errors import (
    AttemptClosed,
    ResumeCodeRequired,
    SessionMoved,
    WrongResumeCode,
)
from examkiosk.core.process_alive import process_alive
from examkiosk.core.resume_codes import code_matches, package_secret, request_text
from examkiosk.core.roster import Candidate
from examkiosk.core.station import Station
from examkiosk.core.timing import (
    ExamSettings,
    Outage,
    OutagePolicy,
    boot_id,
    measure_outage,
    same_boot,
    wall_jump_ms,
)

MAX_CODE_TRIES = 5
# A session that persisted its time this recently is taken to be alive on another seat.
LIVE_SESSION_SECONDS = 20.0


class TakeoverRequired(Refused):
    """The attempt is running on another seat right now; an invigilator must approve."""

    def __init__(self) -> None:
        super().__init__(
            "该考生的作答正在另一座位进行中。如需改在本座位继续，请举手示意监考员确认。",
            "This candidate's exam is running at another seat right now. To continue here, "
            "raise your hand: an invigilator must approve.",
        )


class ResumeCodesExhausted(Refused):
    """Too many wrong resume codes for one attempt: an invigilator must come and unlock."""

    def __init__(self) -> None:
        super().__init__(
            f"续考码已连续输错 {MAX_CODE_TRIES} 次，请举手示意监考员到场解锁后再试。",
            f"The resume code was wrong {MAX_CODE_TRIES} times. Raise your hand: an invigilator "
            "must unlock the seat before another try.",
        )


class SessionKeeper:
    def __init__(self, station: Station, boot: str | None = None) -> None:
        self._station = station
        self._boot = boot or boot_id()
        self.sessions: dict[str, str] = {}

    def start(self, candidate: Candidate, settings: ExamSettings) -> Attempt:
        """Create the attempt and open its session (one transaction with its event)."""
        attempt = Attempt(
            str(uuid.uuid4()),
            candidate.candidate_id,
            "in_progress",
            secrets.randbelow(2**31),
            settings.duration_ms,
            0,
            None,
        )
        session = str(uuid.uuid4())
        clock = self._station.clock
        with self._station.store.transaction() as conn:
            conn.execute(
                "INSERT INTO attempts (attempt_id, candidate_id, state, seed, duration_ms, "
                "elapsed_ms, started_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
                (
                    attempt.attempt_id,
                    attempt.candidate_id,
                    attempt.state,
                    attempt.seed,
                    attempt.duration_ms,
                    clock.wall().isoformat(),
                ),
            )
            conn.execute(
                "INSERT INTO attempt_runtime (attempt_id, session_id, boot_id, last_mono, "
                "last_wall_ms, holder_pid) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    attempt.attempt_id,
                    session,
                    self._boot,
                    clock.monotonic(),
                    self.wall_ms(),
                    os.getpid(),
                ),
            )
            self._station.record(
                conn,
                "attempt.started",
                {
                    "attempt_id": attempt.attempt_id,
                    "candidate_id": candidate.candidate_id,
                    "sitting_id": candidate.sitting_id,
                    "exam_id": settings.exam_id,
                    "seed": attempt.seed,
                    "duration_ms": attempt.duration_ms,
                },
            )
        self.sessions[attempt.attempt_id] = session
        return attempt

    def resume(
        self,
        attempt: Attempt,
        policy: OutagePolicy,
        *,
        code: str | None,
        invigilator: str,
        takeover_by: Person | None = None,
    ) -> Outage | None:
        """Open a new session on `attempt`, counting the outage since its last persisted
        moment per `policy`; None if this keeper already holds the session.

        TakeoverRequired when another session kept the attempt alive within the last
        LIVE_SESSION_SECONDS (a second sign-in while the candidate is working elsewhere)
        unless `takeover_by` is an invigilator, whose approval is audited."""
        attempt_id = attempt.attempt_id
        if self.owns(attempt_id):
            return None  # same engine, same session: time kept running
        self._check_takeover(attempt_id, takeover_by)
        clock = self._station.clock
        with self._station.store.transaction() as conn:
            row = conn.execute(
                "SELECT boot_id, last_mono, last_wall_ms, pause_used_ms, resumes_used, "
                "session_id FROM attempt_runtime WHERE attempt_id = ?",
                (attempt_id,),
            ).fetchone()
            if row is None:  # an attempt begun before the runtime table existed
                row = (self._boot, clock.monotonic(), self.wall_ms(), 0, 0, "")
                conn.execute(
                    "INSERT INTO attempt_runtime (attempt_id, boot_id, last_mono, last_wall_ms) "
                    "VALUES (?, ?, ?, ?)",
                    (attempt_id, row[0], row[1], row[2]),
                )
            boot, last_mono, last_wall, pause_used, resumes_used, _previous = row
            outage_ms, basis = measure_outage(
                same_boot=same_boot(str(boot), self._boot),
                mono_now=clock.monotonic(),
                last_mono=float(last_mono),
                wall_now_ms=self.wall_ms(),
                last_wall_ms=int(last_wall),
            )
            request = request_text(attempt_id, int(resumes_used))
            by_code = code is not None
            if by_code and self._code_failures(conn, attempt_id) >= MAX_CODE_TRIES:
                raise ResumeCodesExhausted()
            code_ok = by_code and code_matches(
                package_secret(self._station.store), attempt.candidate_id, request, code or ""
            )
            if by_code and not code_ok:
                conn.execute(
                    "UPDATE attempt_runtime SET code_failures = code_failures + 1 "
                    "WHERE attempt_id = ?",
                    (attempt_id,),
                )
                self._station.record(
                    conn,
                    "attempt.resume_code_refused",
                    {
                        "attempt_id": attempt_id,
                        "request": request,
                        "invigilator": invigilator,
                    },
                )
            elif not by_code and outage_ms > policy.resume_grace_ms:
                raise ResumeCodeRequired(request, outage_ms)
        if by_code and not code_ok:
            raise WrongResumeCode()
        counted, paused = policy.split(outage_ms, int(pause_used))
        outage = Outage(outage_ms, counted, paused, basis)
        session = str(uuid.uuid4())
        with self._station.store.transaction() as conn:
            conn.execute(
                "UPDATE attempts SET elapsed_ms = min(duration_ms, elapsed_ms + ?) "
                "WHERE attempt_id = ?",
                (counted, attempt_id),
            )
            conn.execute(
                "UPDATE attempt_runtime SET session_id = ?, boot_id = ?, last_mono = ?, "
                "last_wall_ms = ?, pause_used_ms = pause_used_ms + ?, "
                "outage_ms = outage_ms + ?, resumes_used = resumes_used + ?, holder_pid = ? "
                "WHERE attempt_id = ?",
                (
                    session,
                    self._boot,
                    clock.monotonic(),
                    self.wall_ms(),
                    paused,
                    outage_ms,
                    1 if by_code else 0,
                    os.getpid(),
                    attempt_id,
                ),
            )
            self._station.record(
                conn,
                "attempt.resumed",
                {
                    "attempt_id": attempt_id,
                    "outage_ms": outage.outage_ms,
                    "counted_ms": outage.counted_ms,
                    "paused_ms": outage.paused_ms,
                    "basis": outage.basis,
                    "policy": policy.mode,
                    "resume_code": request if by_code else None,
                    "invigilator": invigilator,
                },
            )
        self.sessions[attempt_id] = session
        return outage

    def _check_takeover(self, attempt_id: str, takeover_by: Person | None) -> None:
        clock = self._station.clock
        rows = self._station.store.query(
            "SELECT session_id, boot_id, last_mono, holder_pid FROM attempt_runtime "
            "WHERE attempt_id = ?",
            (attempt_id,),
        )
        if not rows or not rows[0][0] or not same_boot(str(rows[0][1]), self._boot):
            return  # never held, or held before a reboot: an ordinary resume
        if not process_alive(int(rows[0][3])):
            return  # the program that held it has ended (a crash or a restart)
        if clock.monotonic() - float(rows[0][2]) >= LIVE_SESSION_SECONDS:
            return  # the other window went quiet: an ordinary resume
        if takeover_by is None:
            with self._station.store.transaction() as conn:
                audit(
                    self._station, conn, None, "seat_takeover_refused", {"attempt_id": attempt_id}
                )
            raise TakeoverRequired()
        require(takeover_by, "seat.takeover")
        with self._station.store.transaction() as conn:
            audit(self._station, conn, takeover_by, "seat_takeover", {"attempt_id": attempt_id})

    @staticmethod
    def _code_failures(conn: Any, attempt_id: str) -> int:
        row = conn.execute(
            "SELECT code_failures FROM attempt_runtime WHERE attempt_id = ?", (attempt_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def owns(self, attempt_id: str) -> bool:
        mine = self.sessions.get(attempt_id)
        if mine is None:
            return False
        row = self._station.store.query(
            "SELECT session_id FROM attempt_runtime WHERE attempt_id = ?", (attempt_id,)
        )
        return bool(row) and row[0][0] == mine

    def wall_ms(self) -> int:
        return int(self._station.clock.wall().timestamp() * 1000)

    def advance(self, conn: Any, attempt_id: str) -> tuple[int, int, int | None]:
        """Inside a write transaction: add the monotonic time since the last persisted
        moment; audit a wall-clock jump. Returns (elapsed, duration, jump)."""
        row = conn.execute(
            "SELECT a.state, a.duration_ms, a.elapsed_ms, r.session_id, r.last_mono, "
            "r.last_wall_ms FROM attempts a JOIN attempt_runtime r USING (attempt_id) "
            "WHERE a.attempt_id = ?",
            (attempt_id,),
        ).fetchone()
        if row is None:
            raise NotFound("找不到该作答记录。", "This attempt does not exist.")
        state, duration, elapsed, session, last_mono, last_wall = row
        if state != "in_progress":
            raise AttemptClosed(state)
        if session != self.sessions.get(attempt_id):
            raise SessionMoved()
        mono, wall = self._station.clock.monotonic(), self.wall_ms()
        delta = max(0, round((mono - float(last_mono)) * 1000))
        jump = wall_jump_ms(wall - int(last_wall), delta)
        elapsed = min(int(duration), int(elapsed) + delta)
        conn.execute(
            "UPDATE attempts SET elapsed_ms = ? WHERE attempt_id = ?", (elapsed, attempt_id)
        )
        conn.execute(
            "UPDATE attempt_runtime SET last_mono = ?, last_wall_ms = ? WHERE attempt_id = ?",
            (mono, wall, attempt_id),
        )
        if jump is not None:
            self._station.record(
                conn,
                "clock.wall_jump",
                {
                    "attempt_id": attempt_id,
                    "jump_ms": jump,
                    "elapsed_ms": elapsed,
                    "note": "remaining time unchanged: exam time runs on the monotonic clock",
                },
            )
        return elapsed, int(duration), jump
