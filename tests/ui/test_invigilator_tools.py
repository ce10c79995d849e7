"""监考工具 on the admin screen: interrupted candidates with their requests, a resume code
issued through the guard (recorded with who issued it), the sealed-paper release refused
plainly when there is none."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
from examkiosk.core.exam import ExamEngine
from examkiosk.core.roster import all_candidates
from examkiosk.core.station import Station
from examkiosk.ui.admin.invigilator import InvigilatorTools
from examkiosk.ui.ops import Operations
from examkiosk.ui.signin import OpenGuard


def test_resume_code_for_an_interrupted_candidate(
    qtbot: QtBot, station: Station, ops: Operations
) -> None:
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, OpenGuard.person)
    engine = ExamEngine(station)
    attempt = engine.login(candidate.ticket, candidate.id_number)
    request = engine.resume_request(attempt.attempt_id)

    tools = InvigilatorTools(station, ops, OpenGuard())
    qtbot.addWidget(tools)
    tools.show()
    qtbot.waitUntil(
        lambda: tools.attempts.count() > 0 and request in tools.attempts.item(0).text(),
        timeout=10_000,
    )
    tools._pick(tools.attempts.item(0))
    assert tools.ticket.text() == candidate.ticket and tools.request.text() == request
    qtbot.mouseClick(tools.issue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tools.code.text().isdigit(), timeout=10_000)
    assert OpenGuard.person.name in tools.code_note.text()
    events = station.store.query(
        "SELECT payload_json FROM events WHERE type LIKE 'audit.resume_code%'"
    )
    assert events and json.loads(events[-1][0])["by"] == OpenGuard.person.staff_number


def test_release_without_a_sealed_paper_says_so(
    qtbot: QtBot, station: Station, ops: Operations
) -> None:
    tools = InvigilatorTools(station, ops, OpenGuard())
    qtbot.addWidget(tools)
    tools.show()
    tools.password.setText("whatever")
    qtbot.mouseClick(tools.release, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "没有待启封的试卷" in tools.release_result.text(), timeout=10_000)
