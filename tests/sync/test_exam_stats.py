"""Statistics from events equal what a person counts by hand from the same events
(two venues, three stations; the counts are worked out in the comments)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sync.events import Event
from sync.exam_stats import compute
from sync.stats_export import write_pdf, write_xlsx

S = "S-2026"
KEY = {"Q1": ["A"], "Q2": ["B"], "Q3": ["A", "C"]}
VENUES = {"D1": "V1", "S1": "V1", "D2": "V2"}


def fixture_events() -> list[Event]:
    seqs: dict[str, int] = defaultdict(int)
    out: list[Event] = []

    def ev(station: str, type: str, wall: str = "2026-11-22T07:00:00+08:00", **p: Any) -> None:
        seqs[station] += 1
        out.append(Event(station, seqs[station], f"{station}-{seqs[station]}", type, wall, 0.0, p))

    def checkin(station: str, decision: str, cid: str, hhmm: str, *, method: str = "card",
                rec: str = "admit", suspects: tuple[str, ...] = (), live: str = "live",
                sitting: str = S) -> None:  # fmt: skip
        ev(station, f"checkin.{decision}", f"2026-11-22T{hhmm}:00+08:00", candidate_id=cid,
           sitting_id=sitting, method=method, recommendation=rec, suspects=list(suspects),
           liveness=live)  # fmt: skip

    def answer(station: str, attempt: str, item: str, *keys: str) -> None:
        ev(station, "answer.saved", attempt_id=attempt, item_id=item, answer=list(keys))

    # V1 registers 5 (both its stations imported the same roster: 5, not 10); V2 registers 3.
    ev("D1", "package.imported", sitting_id=S, candidates=5)
    ev("S1", "package.imported", sitting_id=S, candidates=5)
    ev("D2", "package.imported", sitting_id=S, candidates=3)
    # V1: C1 clean; C2 typed in and reviewed; C3 refused (look-alike C9, not live), then
    # admitted against the "refuse" recommendation (override); C4 refused after review.
    checkin("D1", "admitted", "C1", "08:10")
    checkin("D1", "admitted", "C2", "08:20", method="manual", rec="review")
    checkin("D1", "refused", "C3", "08:40", rec="refuse", suspects=("C9",), live="not_live")
    checkin("D1", "admitted", "C3", "09:05", rec="refuse")
    checkin("D1", "refused", "C4", "09:10", rec="review")
    # V2: K1 clean; K2 typed in and reviewed; someone of another sitting (not counted).
    checkin("D2", "admitted", "K1", "09:30")
    checkin("D2", "admitted", "K2", "09:40", method="manual", rec="review")
    checkin("D2", "admitted", "X1", "10:00", sitting="S-OTHER")
    # A1: all right (3/3), Q3 flagged then unflagged, submitted by the candidate.
    ev("S1", "attempt.started", attempt_id="A1", candidate_id="C1", sitting_id=S)
    answer("S1", "A1", "Q1", "A")
    answer("S1", "A1", "Q2", "B")
    answer("S1", "A1", "Q3", "C", "A")
    ev("S1", "item.flagged", attempt_id="A1", item_id="Q3", flagged=True)
    ev("S1", "item.flagged", attempt_id="A1", item_id="Q3", flagged=False)
    ev("S1", "attempt.submitted", attempt_id="A1", score=3, max_score=3, reason="candidate")
    # A2: Q2 only (1/3), Q2 flagged, resumed with a code, submitted when time was up.
    ev("S1", "attempt.started", attempt_id="A2", candidate_id="C2", sitting_id=S)
    answer("S1", "A2", "Q1", "B")
    answer("S1", "A2", "Q2", "B")
    answer("S1", "A2", "Q3", "A")
    ev("S1", "item.flagged", attempt_id="A2", item_id="Q2", flagged=True)
    ev("S1", "attempt.resumed", attempt_id="A2", resume_code="123456")
    ev("S1", "attempt.submitted", attempt_id="A2", score=1, max_score=3, reason="time_up")
    # A3: Q1 changed from A to C, Q2 left empty, Q3 right (1/3); a code refused; an
    # incident; submitted by an invigilator.
    ev("S1", "attempt.started", attempt_id="A3", candidate_id="C3", sitting_id=S)
    answer("S1", "A3", "Q1", "A")
    answer("S1", "A3", "Q1", "C")
    answer("S1", "A3", "Q3", "A", "C")
    ev("S1", "attempt.resume_code_refused", attempt_id="A3")
    ev("S1", "proctor.incident", attempt_id="A3", kind="no_face")
    ev("S1", "attempt.submitted", attempt_id="A3", score=1, max_score=3, reason="invigilator")
    # A4 at V2: resumed without a code after an outage, never submitted.
    ev("D2", "attempt.started", attempt_id="A4", candidate_id="K1", sitting_id=S)
    answer("D2", "A4", "Q1", "A")
    ev("D2", "attempt.resumed", attempt_id="A4", resume_code=None)
    return out


def rows(stats: Any, name: str) -> dict[Any, tuple[Any, ...]]:
    return {r[0]: tuple(r[1:]) for r in stats.table(name).rows}


def test_attendance_and_check_ins_per_hour() -> None:
    stats = compute(fixture_events(), venue_of=VENUES, sitting_id=S, key=KEY)
    attendance = rows(stats, "attendance")
    #                registered admitted refused no-shows manual reviews look-alikes overrides not-live
    assert attendance["V1"] == (5, 3, 1, 1, 1, 2, 1, 1, 1)
    assert attendance["V2"] == (3, 2, 0, 1, 1, 1, 0, 0, 0)
    assert attendance["total"] == (8, 5, 1, 2, 2, 3, 1, 1, 1)
    assert rows(stats, "per_hour") == {"08:00": (3,), "09:00": (4,)}
    every = compute(fixture_events(), venue_of=VENUES, key=KEY)
    assert rows(every, "per_hour")["10:00"] == (1,)  # the other sitting, when all are asked


def test_the_exam() -> None:
    exam = rows(compute(fixture_events(), venue_of=VENUES, sitting_id=S, key=KEY), "exam")
    assert exam == {
        "started": (4,),
        "submitted": (2,),
        "auto-submitted (time up)": (1,),
        "interrupted (resumed after an outage)": (2,),
        "unfinished": (1,),
        "resume codes used": (1,),
        "resume codes refused": (1,),
        "moved to a spare station": (0,),
        "incidents": (1,),
    }


def test_items_and_scores() -> None:
    stats = compute(fixture_events(), venue_of=VENUES, sitting_id=S, key=KEY)
    items = rows(stats, "items")
    # Scores 3, 1, 1: sd = √(8/9). Q1 right only by the 3: r = 2/√(8/9)·√(2/9) = 1.
    assert items["Q1"] == (3, 0.3333, 1.0, "A:33% B:33% C:33%", 0.0)
    # Q2 right by 3 and 1, wrong (empty) by 1: r = 1/√(8/9)·√(2/9) = 0.5; A2 flagged it.
    assert items["Q2"] == (2, 0.6667, 0.5, "B:67%", 0.3333)
    assert items["Q3"] == (3, 0.6667, 0.5, "A:100% C:67%", 0.0)
    assert rows(stats, "scores")["30-40)"] == (2,) and rows(stats, "scores")["90-100"] == (1,)
    assert stats.summary["mean_pct"] == pytest.approx(55.56)
    assert stats.summary["median_pct"] == pytest.approx(33.33)
    unkeyed = rows(compute(fixture_events(), venue_of=VENUES, sitting_id=S), "items")
    assert unkeyed["Q1"][1:3] == (None, None)  # no key: no p-value, still the options


def test_xlsx_has_a_formatted_sheet_per_table_and_the_pdf_has_charts(tmp_path: Path) -> None:
    stats = compute(fixture_events(), venue_of=VENUES, sitting_id=S, key=KEY)
    book = load_workbook(write_xlsx(stats, tmp_path / "s.xlsx", heading="统计 test"))
    assert book.sheetnames == ["summary", "attendance", "per_hour", "exam", "incidents",
                               "items", "scores"]  # fmt: skip
    sheet = book["attendance"]
    assert [c.value for c in sheet[2]][:3] == ["venue", "registered", "admitted"]
    assert sheet["A2"].font.bold and sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[5]] == ["total", 8, 5, 1, 2, 2, 3, 1, 1, 1]
    assert book["items"]["C3"].number_format == "0.0%"
    pdf = write_pdf(stats, tmp_path / "s.pdf", heading="统计报告").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"NotoSansCJK" in pdf and pdf.count(b"/Type /Page\n") >= 1


def test_the_centre_reads_the_answer_key_from_the_package_content(tmp_path: Path) -> None:
    import json

    from sync.central.stats import read_answer_key
    from sync.errors import FormatError

    content = {"sections": [{"section_id": "S1", "items": [
        {"item_id": "Q1", "answer": ["A"], "options": []},
        {"item_id": "Q3", "answer": ["C", "A"], "options": []},
    ]}]}  # fmt: skip
    (tmp_path / "content.json").write_text(json.dumps(content))
    assert read_answer_key(tmp_path / "content.json") == {"Q1": ["A"], "Q3": ["C", "A"]}
    (tmp_path / "bad.json").write_text('{"Q1": "A"}')
    with pytest.raises(FormatError):
        read_answer_key(tmp_path / "bad.json")
