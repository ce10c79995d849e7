"""The exam engine: a candidate's attempt, answers saved as given, submission and receipt.

Every answer is one transaction with its outbox event; `save_answer` returns only after the
commit, and the seat acknowledges the answer on screen only then.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from examkiosk.core import roster
from examkiosk.core.errors import NotFound, Refused
from examkiosk.core.package_import import current_exam
from examkiosk.core.station import Station


@dataclass(frozen=True)
class Item:
    item_id: str
    section_id: str
    position: int
    kind: str  # "A1" | "A2" | "X" | "TF" ...
    stem: str
    options: tuple[tuple[str, str], ...]
    key: tuple[str, ...]  # the correct option keys
    score: float


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    candidate_id: str
    state: str  # "in_progress" | "submitted"
    seed: int
    duration_ms: int
    elapsed_ms: int
    receipt: str | None

    @property
    def remaining_ms(self) -> int:
        return max(0, self.duration_ms - self.elapsed_ms)


@dataclass(frozen=True)
class Receipt:
    attempt_id: str
    answer_hash: str  # short hash of the answer set, shown to the candidate
    answered: int
    total: int
    score: float


def _item(row: Any) -> Item:
    body = json.loads(row[4])
    return Item(
        item_id=row[0],
        section_id=row[1],
        position=int(row[2]),
        kind=row[3],
        stem=str(body.get("stem", "")),
        options=tuple((str(o["key"]), str(o["text"])) for o in body.get("options", [])),
        key=tuple(str(k) for k in body.get("answer", [])),
        score=float(body.get("score", 1)),
    )


def _attempt(row: Any) -> Attempt:
    return Attempt(*row[:6], receipt=row[6])


_ATTEMPT_COLUMNS = "attempt_id, candidate_id, state, seed, duration_ms, elapsed_ms, receipt"


class ExamEngine:
    def __init__(self, station: Station) -> None:
        self.station = station

    def items(self) -> list[Item]:
        rows = self.station.store.query(
            "SELECT item_id, section_id, position, kind, body_json FROM items ORDER BY position"
        )
        return [_item(r) for r in rows]

    def attempt(self, attempt_id: str) -> Attempt:
        rows = self.station.store.query(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE attempt_id = ?", (attempt_id,)
        )
        if not rows:
            raise NotFound("找不到该作答记录。", "This attempt does not exist.")
        return _attempt(rows[0])

    def login(self, ticket: str, id_number: str) -> Attempt:
        """Start or resume the candidate's attempt; only for a candidate admitted at the door."""
        candidate = roster.by_ticket(self.station.store, ticket)
        if candidate.id_number.upper() != id_number.strip().upper():
            raise Refused(
                "准考证号与证件号码不匹配，请核对后重试。",
                "The admission ticket and ID number do not match. Check them and try again.",
            )
        checked = self.station.store.query(
            "SELECT decision FROM checkins WHERE candidate_id = ?", (candidate.candidate_id,)
        )
        if not checked or checked[0][0] != "admitted":
            raise Refused(
                "该考生尚未在入口完成身份核验，请先到入口签到。",
                "This candidate has not been checked in at the door. Please check in first.",
            )
        rows = self.station.store.query(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE candidate_id = ?",
            (candidate.candidate_id,),
        )
        if rows:
            return _attempt(rows[0])
        duration_ms = int(float(current_exam(self.station).get("duration_minutes", 120)) * 60_000)
        attempt = Attempt(
            str(uuid.uuid4()), candidate.candidate_id, "in_progress",
            secrets.randbelow(2**31), duration_ms, 0, None,
        )
        with self.station.store.transaction() as conn:
            conn.execute(
                "INSERT INTO attempts (attempt_id, candidate_id, state, seed, duration_ms, "
                "elapsed_ms, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.attempt_id, attempt.candidate_id, attempt.state, attempt.seed,
                    duration_ms, 0, self.station.clock.wall().isoformat(),
                ),
            )
            self.station.record(
                conn,
                "attempt.started",
                {
                    "attempt_id": attempt.attempt_id,
                    "candidate_id": candidate.candidate_id,
                    "sitting_id": candidate.sitting_id,
                    "seed": attempt.seed,
                    "duration_ms": duration_ms,
                },
            )
        return attempt

    def answers(self, attempt_id: str) -> dict[str, list[str]]:
        rows = self.station.store.query(
            "SELECT item_id, answer_json FROM answers WHERE attempt_id = ?", (attempt_id,)
        )
        return {r[0]: list(json.loads(r[1])) for r in rows}

    def save_answer(self, attempt_id: str, item_id: str, answer: list[str]) -> int:
        """Commit one answer with its event; returns the event seq once durable."""
        item = next((i for i in self.items() if i.item_id == item_id), None)
        if item is None:
            raise NotFound("试卷中没有这道题。", "This item is not in the paper.", detail=item_id)
        valid = {k for k, _ in item.options}
        chosen = sorted({str(a) for a in answer})
        if not set(chosen) <= valid:
            raise Refused("答案不是该题的选项。", "The answer is not one of the item's options.")
        with self.station.store.transaction() as conn:
            state = conn.execute(
                "SELECT state FROM attempts WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
            if state is None or state[0] != "in_progress":
                raise Refused("本场作答已提交，不能再修改答案。", "This attempt is submitted; answers can no longer change.")
            conn.execute(
                "INSERT INTO answers (attempt_id, item_id, answer_json, saved_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(attempt_id, item_id) DO UPDATE SET "
                "answer_json = excluded.answer_json, saved_at = excluded.saved_at",
                (attempt_id, item_id, json.dumps(chosen), self.station.clock.wall().isoformat()),
            )
            event = self.station.record(
                conn,
                "answer.saved",
                {"attempt_id": attempt_id, "item_id": item_id, "answer": chosen},
            )
        return event.seq

    def add_elapsed(self, attempt_id: str, delta_ms: int) -> Attempt:
        """Persist time that passed (a monotonic delta measured by the caller)."""
        with self.station.store.transaction() as conn:
            conn.execute(
                "UPDATE attempts SET elapsed_ms = min(duration_ms, elapsed_ms + ?) "
                "WHERE attempt_id = ? AND state = 'in_progress'",
                (max(0, int(delta_ms)), attempt_id),
            )
        return self.attempt(attempt_id)

    def submit(self, attempt_id: str, *, reason: str = "candidate") -> Receipt:
        attempt = self.attempt(attempt_id)
        if attempt.state == "submitted":
            raise Refused("本场作答已经提交过了。", "This attempt was already submitted.")
        items = self.items()
        answers = self.answers(attempt_id)
        score = sum(i.score for i in items if answers.get(i.item_id) == sorted(i.key))
        digest = hashlib.sha256(
            json.dumps(answers, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        receipt = Receipt(attempt_id, digest[:12].upper(), len(answers), len(items), score)
        with self.station.store.transaction() as conn:
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
                    "candidate_id": attempt.candidate_id,
                    "answers_sha256": digest,
                    "answered": receipt.answered,
                    "total": receipt.total,
                    "score": score,
                    "reason": reason,
                },
            )
        return receipt
