"""Objective scoring and the submission receipt, computed locally at submission.

A1/A2/A3/A4/B1/TF: the one correct option scores the item. X: all-or-nothing (the rule of
the medical qualification exams: every correct option and no wrong one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from examkiosk.core.paper import Paper


@dataclass(frozen=True)
class Receipt:
    attempt_id: str
    answer_hash: str  # short hash of the answer set, shown to the candidate
    answered: int
    total: int
    score: float
    max_score: float = 0.0
    answers_sha256: str = ""


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    score: float
    max_score: float
    answered: int
    total: int


def answers_digest(answers: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 over the answer set in a canonical form (item id -> sorted keys; empties out)."""
    canonical = {k: sorted(v) for k, v in answers.items() if v}
    return hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def score_sections(paper: Paper, answers: Mapping[str, Sequence[str]]) -> list[SectionScore]:
    result = []
    for section in paper.sections:
        score = max_score = 0.0
        answered = 0
        for item in section.items:
            given = sorted(answers.get(item.item_id, ()))
            max_score += item.score
            if given:
                answered += 1
            if given and tuple(given) == item.key:
                score += item.score
        result.append(
            SectionScore(section.section_id, score, max_score, answered, len(section.items))
        )
    return result


def make_receipt(attempt_id: str, paper: Paper, answers: Mapping[str, Sequence[str]]) -> Receipt:
    sections = score_sections(paper, answers)
    digest = answers_digest(answers)
    return Receipt(
        attempt_id=attempt_id,
        answer_hash=digest[:12].upper(),
        answered=sum(s.answered for s in sections),
        total=len(paper),
        score=sum(s.score for s in sections),
        max_score=sum(s.max_score for s in sections),
        answers_sha256=digest,
    )
