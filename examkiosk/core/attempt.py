"""The records of an attempt that cross into the seat and the command line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from examkiosk.core import roster
from examkiosk.core.errors import NotFound
from examkiosk.core.paper import Paper
from examkiosk.core.roster import Candidate
from examkiosk.core.scoring import Receipt
from examkiosk.core.station import Station
from examkiosk.core.timing import ExamSettings
from examkiosk.store import packages


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    candidate_id: str
    state: str  # "in_progress" | "submitted" | "transferred"
    seed: int
    duration_ms: int
    elapsed_ms: int
    receipt: str | None

    @property
    def remaining_ms(self) -> int:
        return max(0, self.duration_ms - self.elapsed_ms)


@dataclass(frozen=True)
class SeatState:
    """What a seat needs to draw the attempt after login or a restart."""

    attempt: Attempt
    candidate: Candidate
    paper: Paper  # in this candidate's order
    answers: dict[str, list[str]]
    flags: frozenset[str]
    current_item: str | None
    locked_sections: frozenset[str]
    settings: ExamSettings
    resume_request: str


@dataclass(frozen=True)
class Tick:
    remaining_ms: int
    elapsed_ms: int
    wall_jump_ms: int | None
    receipt: Receipt | None  # set when time ran out and the engine submitted


ATTEMPT_COLUMNS = "attempt_id, candidate_id, state, seed, duration_ms, elapsed_ms, receipt"


def attempt_from_row(row: Any) -> Attempt:
    return Attempt(
        attempt_id=str(row[0]),
        candidate_id=str(row[1]),
        state=str(row[2]),
        seed=int(row[3]),
        duration_ms=int(row[4]),
        elapsed_ms=int(row[5]),
        receipt=row[6],
    )


def current_exam(station: Station) -> dict[str, Any]:
    """The imported package's exam content (settings, duration, sections); {} if none."""
    package = packages.latest(station.store)
    return package.content if package else {}


def candidate_by_id(station: Station, candidate_id: str) -> Candidate:
    rows = station.store.query(
        "SELECT ticket FROM candidates WHERE candidate_id = ?", (candidate_id,)
    )
    if not rows:
        raise NotFound("名单中没有该考生。", "This candidate is not on the roster.")
    return roster.by_ticket(station.store, str(rows[0][0]))


def answer_text(answer: Sequence[str]) -> str:
    """An answer as the command line prints it: keys joined by commas, '-' when cleared."""
    return ",".join(answer) if answer else "-"
