"""`examkiosk exam incidents` / `exam acknowledge` through the real entry point: an incident a
seat recorded is acknowledged once by a signed-in invigilator, with a note, and listed so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated
from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.core.authz import Person
from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.proctoring import Proctor
from examkiosk.core.roster import all_candidates

REPO = Path(__file__).resolve().parents[2]
MAIN = "from examkiosk.app.cli import main; main()"


def run(venue: Path, *args: str, staff: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMKIOSK_STAFF")}
    if staff:
        env.update(EXAMKIOSK_STAFF=staff, EXAMKIOSK_STAFF_PASSWORD=demo_accounts(venue)[staff])
    return subprocess.run(
        [sys.executable, "-c", MAIN, "exam", *args, "--data-dir", str(venue)],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def test_an_incident_is_acknowledged_from_the_command_line(tmp_path: Path) -> None:
    venue = build_demo_venue(tmp_path / "venue", faces_dir=None, candidates=2, items=6)
    station = venue.station
    candidate = all_candidates(station.store)[0]
    check_in_simulated(station, candidate.ticket, Person("a", "管理员", "venue_admin"))
    attempt = ExamEngine(station).login(candidate.ticket, candidate.id_number)
    seq = (
        Proctor.for_attempt(station, FaceService(None), attempt.attempt_id).take(None).incident_seq
    )
    station.close()
    assert seq is not None

    refused = run(tmp_path / "venue", "acknowledge", str(seq), "--note", "看过", staff="demo-tech")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    done = run(tmp_path / "venue", "acknowledge", str(seq), "--note", "已到座位，摄像头已插好",
               staff="demo-inv1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = run(tmp_path / "venue", "acknowledge", str(seq), "--note", "再次", staff="demo-inv2")
    assert again.returncode != 0 and "演示监考员一" in again.stderr

    listed = run(tmp_path / "venue", "incidents", "--json")
    [incident] = json.loads(listed.stdout)
    assert incident["acknowledged_by"] == "demo-inv1"
    assert incident["note"] == "已到座位，摄像头已插好"
    assert "已处理 acknowledged" in run(tmp_path / "venue", "incidents").stdout
