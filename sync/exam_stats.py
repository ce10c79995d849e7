"""Statistics of a sitting computed from events alone, so the station (its outbox) and the
centre (what it received from every station) count with the same rules.

Attendance (per venue; a candidate counts by the LAST check-in decision recorded for them):
  registered       candidates in the package the venue imported (largest count any of its
                   stations imported for the sitting; stations of a venue share a roster)
  admitted/refused candidates whose last decision is admitted / refused
  no-shows         registered − admitted − refused (never below 0)
  manual entries   check-in decisions whose identity was typed in (method "manual")
  face reviews     decisions where the station recommended "review" (compare by eye)
  look-alikes      decisions where the 1:N search named another registered candidate
  overrides        candidates admitted although the station recommended "refuse"
  liveness fails   decisions whose liveness check said "not_live"
  per hour         check-in decisions by the hour of the station's wall clock

The exam: attempts started; submitted by the candidate or an invigilator; auto-submitted
(time up); interrupted (resumed after an outage at least once); unfinished (no submission);
resume codes used and refused; transfers to a spare station; proctoring incidents by kind.

Items (submitted attempts; needs the answer key): p-value (share correct; unanswered counts
as wrong), point-biserial (correlation of being right with the attempt's score), option
distribution (share of attempts choosing each option), flag rate (share flagged at the end).
Scores: the submitted attempts' score as a percentage of the maximum, in ten bins.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.events import Event

SCORE_BINS = 10


@dataclass(frozen=True)
class Table:
    name: str  # sheet name (ASCII, short)
    title_zh: str
    title_en: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "headers": list(self.headers),
            "rows": [list(r) for r in self.rows],
        }


@dataclass(frozen=True)
class ExamStats:
    sitting_id: str | None
    tables: tuple[Table, ...]
    summary: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sitting_id": self.sitting_id,
            "summary": self.summary,
            "tables": {t.name: t.to_dict() for t in self.tables},
        }


@dataclass
class _Venue:
    registered: int = 0
    last_decision: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class _Attempt:
    venue: str
    sitting: str
    answers: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    submitted: dict[str, Any] | None = None
    resumed: bool = False


def _hour(wall_time: str) -> str:
    return wall_time[11:13] + ":00" if len(wall_time) >= 13 else "?"


def compute(
    events: Iterable[Event],
    *,
    venue_of: Mapping[str, str],
    sitting_id: str | None = None,
    key: Mapping[str, Sequence[str]] | None = None,
    registered: Mapping[str, int] | None = None,
) -> ExamStats:
    """`venue_of` maps station ids to venues; `key` maps item ids to their correct options
    (without it the item table has no p-values); `registered` overrides the registered
    count per venue (a station knows its roster exactly)."""
    venues: dict[str, _Venue] = defaultdict(_Venue)
    per_hour: Counter[str] = Counter()
    attempts: dict[str, _Attempt] = {}
    incidents: Counter[str] = Counter()
    exam: Counter[str] = Counter()
    ordered = sorted(events, key=lambda e: (e.station_id, e.seq))
    for event in ordered:  # attempts first: a transferred one continues on another station
        p = event.payload
        if event.type == "attempt.started" and (
            sitting_id is None or p.get("sitting_id") == sitting_id
        ):
            venue = venue_of.get(event.station_id, "?")
            attempts.setdefault(str(p["attempt_id"]), _Attempt(venue, str(p.get("sitting_id", ""))))
    for event in ordered:
        venue = venue_of.get(event.station_id, "?")
        p = event.payload
        kind = event.type
        if kind == "package.imported":
            if sitting_id is None or p.get("sitting_id") == sitting_id:
                v = venues[venue]
                v.registered = max(v.registered, int(p.get("candidates", 0)))
        elif kind in ("checkin.admitted", "checkin.refused"):
            if sitting_id is not None and p.get("sitting_id") != sitting_id:
                continue
            v = venues[venue]
            decision = kind.split(".", 1)[1]
            candidate = str(p.get("candidate_id"))
            v.last_decision[candidate] = decision
            per_hour[_hour(event.wall_time)] += 1
            v.counts["decisions"] += 1
            v.counts["manual"] += p.get("method") == "manual"
            v.counts["review"] += p.get("recommendation") == "review"
            v.counts["lookalike"] += bool(p.get("suspects"))
            v.counts["override"] += decision == "admitted" and p.get("recommendation") == "refuse"
            v.counts["not_live"] += p.get("liveness") == "not_live"
        elif kind == "attempt.started":
            continue
        elif kind == "attempt.transferred_in":
            exam["transfers"] += str(p.get("attempt_id")) in attempts
        elif str(p.get("attempt_id")) in attempts:
            a = attempts[str(p["attempt_id"])]
            if kind == "answer.saved" and a.submitted is None:
                a.answers[str(p["item_id"])] = [str(x) for x in p.get("answer") or []]
            elif kind == "item.flagged" and a.submitted is None:
                (a.flags.add if p.get("flagged") else a.flags.discard)(str(p["item_id"]))
            elif kind == "attempt.submitted" and a.submitted is None:
                a.submitted = dict(p)
            elif kind == "attempt.resumed":
                a.resumed = True
                exam["resume_codes_used"] += p.get("resume_code") is not None
            elif kind == "attempt.resume_code_refused":
                exam["resume_codes_refused"] += 1
            elif kind == "proctor.incident":
                incidents[str(p.get("kind", "?"))] += 1
    if registered:
        for venue, count in registered.items():
            venues[venue].registered = count
    tables = [
        _attendance(venues),
        Table(
            "per_hour",
            "每小时签到",
            "Check-ins per hour",
            ("hour", "check-ins"),
            tuple(sorted(per_hour.items())),
        ),  # fmt: skip
        _exam_table(attempts, exam, incidents),
        Table(
            "incidents",
            "监考事件",
            "Proctoring incidents",
            ("kind", "count"),
            tuple(sorted(incidents.items())),
        ),  # fmt: skip
    ]
    done = [a for a in attempts.values() if a.submitted is not None]
    items, scores, summary = _items(done, key), *_scores(done)
    tables += [items, scores]
    summary["attempts_submitted"] = len(done)
    return ExamStats(sitting_id, tuple(tables), summary)


ATTENDANCE_HEADERS = ("venue", "registered", "admitted", "refused", "no-shows", "manual entries",
                      "face reviews", "look-alikes", "overrides", "liveness failures")  # fmt: skip


def _attendance(venues: Mapping[str, _Venue]) -> Table:
    rows = []
    totals = [0] * (len(ATTENDANCE_HEADERS) - 1)
    for name in sorted(venues):
        v = venues[name]
        admitted = sum(d == "admitted" for d in v.last_decision.values())
        refused = sum(d == "refused" for d in v.last_decision.values())
        values = [
            v.registered, admitted, refused, max(0, v.registered - admitted - refused),
            v.counts["manual"], v.counts["review"], v.counts["lookalike"], v.counts["override"],
            v.counts["not_live"],
        ]  # fmt: skip
        totals = [t + x for t, x in zip(totals, values, strict=True)]
        rows.append((name, *values))
    if len(rows) > 1:
        rows.append(("total", *totals))
    return Table("attendance", "考生到场", "Attendance", ATTENDANCE_HEADERS, tuple(rows))


def _exam_table(
    attempts: Mapping[str, _Attempt], exam: Counter[str], incidents: Counter[str]
) -> Table:
    subs = [a.submitted for a in attempts.values() if a.submitted is not None]
    rows = (
        ("started", len(attempts)),
        ("submitted", sum(s.get("reason") != "time_up" for s in subs)),
        ("auto-submitted (time up)", sum(s.get("reason") == "time_up" for s in subs)),
        ("interrupted (resumed after an outage)", sum(a.resumed for a in attempts.values())),
        ("unfinished", len(attempts) - len(subs)),
        ("resume codes used", exam["resume_codes_used"]),
        ("resume codes refused", exam["resume_codes_refused"]),
        ("moved to a spare station", exam["transfers"]),
        ("incidents", sum(incidents.values())),
    )
    return Table("exam", "考试过程", "The exam", ("measure", "count"), rows)


def _items(done: Sequence[_Attempt], key: Mapping[str, Sequence[str]] | None) -> Table:
    item_ids = sorted(set(key or {}) | {i for a in done for i in a.answers})
    scores = [float(a.submitted["score"]) for a in done if a.submitted is not None]
    rows = []
    n = len(done)
    for item in item_ids:
        chosen: Counter[str] = Counter()
        correct: list[int] = []
        for a in done:
            given = sorted(a.answers.get(item) or [])
            chosen.update(given)
            if key is not None and item in key:
                correct.append(int(bool(given) and given == sorted(key[item])))
        options = " ".join(f"{o}:{chosen[o] / n:.0%}" for o in sorted(chosen)) if n else ""
        p_value = sum(correct) / n if key is not None and item in key and n else None
        rpb = _point_biserial(correct, scores) if p_value is not None else None
        flag_rate = sum(item in a.flags for a in done) / n if n else None
        answered = sum(bool(a.answers.get(item)) for a in done)
        rows.append((item, answered, _r(p_value), _r(rpb), options, _r(flag_rate)))
    return Table("items", "题目分析", "Items",
                 ("item", "answered", "p-value", "point-biserial", "options chosen", "flag rate"),
                 tuple(rows))  # fmt: skip


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _point_biserial(correct: Sequence[int], scores: Sequence[float]) -> float | None:
    """r_pb = (M1 − M0) / s × √(p q), s the population standard deviation of the scores;
    None when everyone or no one got the item right, or all scores are equal."""
    n = len(correct)
    right = [s for c, s in zip(correct, scores, strict=True) if c]
    wrong = [s for c, s in zip(correct, scores, strict=True) if not c]
    if not right or not wrong:
        return None
    sd = statistics.pstdev(scores)
    if sd == 0:
        return None
    p = len(right) / n
    return (statistics.fmean(right) - statistics.fmean(wrong)) / sd * math.sqrt(p * (1 - p))


def _scores(done: Sequence[_Attempt]) -> tuple[Table, dict[str, Any]]:
    percents = []
    for a in done:
        assert a.submitted is not None
        top = float(a.submitted.get("max_score") or 0)
        if top > 0:
            percents.append(100.0 * float(a.submitted.get("score", 0)) / top)
    bins = [0] * SCORE_BINS
    for value in percents:
        bins[min(SCORE_BINS - 1, int(value // (100 / SCORE_BINS)))] += 1
    width = 100 // SCORE_BINS
    rows = tuple(
        (f"{i * width}-{(i + 1) * width}{'' if i == SCORE_BINS - 1 else ')'}", count)
        for i, count in enumerate(bins)
    )
    summary: dict[str, Any] = {"scores": len(percents)}
    if percents:
        summary.update(
            mean_pct=round(statistics.fmean(percents), 2),
            median_pct=round(statistics.median(percents), 2),
            sd_pct=round(statistics.pstdev(percents), 2),
            min_pct=round(min(percents), 2),
            max_pct=round(max(percents), 2),
        )
    table = Table("scores", "成绩分布", "Score distribution", ("score % range", "attempts"), rows)
    return table, summary
