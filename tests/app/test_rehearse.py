"""The venue rehearsal, run as a venue would run it: the installed command, its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _examkiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examkiosk.app", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> dict:
    data = tmp_path_factory.mktemp("rehearsal") / "venue"
    result = _examkiosk(
        "rehearse",
        "--data-dir",
        str(data),
        "--candidates",
        "20",
        "--faces",
        str(faces_dir),
        "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    report["_data_dir"] = data
    return report


def test_rehearsal_checks_in_and_submits_every_candidate(rehearsal: dict) -> None:
    assert rehearsal["ok"] is True
    assert rehearsal["checkins"] == 20
    assert rehearsal["submissions"] == 20
    assert [s["name"] for s in rehearsal["stages"]] == [
        "setup",
        "checkin",
        "exam",
        "export",
        "central",
        "compare",
    ]


def test_every_event_arrives_exactly_once_with_the_chain_verified(rehearsal: dict) -> None:
    events = rehearsal["events"]
    assert events["exactly_once"] is True
    assert events["central"] == events["station"] == events["central_highest_seq"]
    assert events["gaps"] == [] and events["quarantined"] == 0
    assert rehearsal["chain_verified"] is True


def test_faces_of_candidates_with_photos_match_and_blink(rehearsal: dict) -> None:
    checkin = next(s for s in rehearsal["stages"] if s["name"] == "checkin")
    # Six identities in the test photos: six candidates have a roster photo (the identity's
    # first photo) and the camera shows each of them another photo of the same person,
    # blinking, through the real camera thread; the other 14 have no roster photo, so their
    # face check is recorded as unavailable.
    assert checkin["detail"]["face"] == {"match": 6, "unavailable": 14}
    assert checkin["detail"]["liveness"] == {"live": 6}


def test_rehearsal_without_photos_records_the_face_check_as_unavailable(tmp_path: Path) -> None:
    result = _examkiosk(
        "rehearse", "--data-dir", str(tmp_path / "v"), "--candidates", "3", "--json"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    checkin = next(s for s in report["stages"] if s["name"] == "checkin")
    assert checkin["detail"]["face"] == {"unavailable": 3}
    setup = next(s for s in report["stages"] if s["name"] == "setup")
    assert "unavailable" in setup["detail"]["face_check"]


def test_rehearsal_refuses_a_directory_that_holds_a_station(rehearsal: dict) -> None:
    result = _examkiosk("rehearse", "--data-dir", str(rehearsal["_data_dir"]), "--json")
    assert result.returncode != 0
    assert "already holds a station" in result.stderr
