"""`examkiosk face ...` and `examkiosk camera ...` as a supervisor runs them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from examkiosk.app.cli_face import camera, face
from hardware.face import face_available
from hardware.sim.video import write_video

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "faces"

pytestmark = [
    pytest.mark.skipif(not (FACES / "single").is_dir(), reason=f"no face photos at {FACES}"),
    pytest.mark.skipif(not face_available(), reason="dlib / face models not importable"),
]


def test_verify_match_and_no_match() -> None:
    runner = CliRunner()
    single = FACES / "single"
    same = runner.invoke(
        face,
        [
            "verify",
            "--reference",
            str(single / "obama_1.jpg"),
            "--probe",
            str(single / "obama_2.jpg"),
        ],
    )
    assert same.exit_code == 0, same.output
    assert same.output.startswith("match") and "roster photo" in same.output
    other = runner.invoke(
        face,
        [
            "verify",
            "--reference",
            str(single / "obama_1.jpg"),
            "--probe",
            str(single / "biden_1.jpg"),
            "--json",
        ],
    )
    assert other.exit_code == 2
    verdict = json.loads(other.output)
    assert verdict["decision"] == "no_match" and verdict["distance"] > 0.6
    assert verdict["message_zh"]


def test_verify_refuses_a_group_photo_as_reference() -> None:
    result = CliRunner().invoke(
        face,
        [
            "verify",
            "--reference",
            str(FACES / "multi" / "obama_and_biden.jpg"),
            "--probe",
            str(FACES / "single" / "obama_2.jpg"),
        ],
    )
    assert (
        result.exit_code == 1 and "several faces" in result.output and "多张人脸" in result.output
    )


def test_verify_pairs_reports_decisions_and_error_rates(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "file_x,file_y,same\n"
        "single/obama_1.jpg,single/obama_3.jpg,1\n"
        "single/kit_harington_1.jpg,single/kit_harington_2.jpg,1\n"
        "single/obama_1.jpg,single/biden_2.jpg,0\n"
        "single/rose_leslie_1.jpg,single/obama_3.jpg,0\n"
        "single/obama_1.jpg,README.md,0\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        face, ["verify-pairs", "--pairs", str(pairs), "--images", str(FACES), "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    decisions = [line["decision"] for line in lines[:-1]]
    assert decisions == ["match", "match", "no_match", "no_match", "error"]
    assert all(line["ms_x"] > 0 for line in lines[:-1])
    summary = lines[-1]["summary"]
    assert summary["false_accept"] == 0 and summary["false_reject"] == 0
    assert (summary["genuine"], summary["impostor"]) == (2, 2)
    text = CliRunner().invoke(face, ["verify-pairs", "--pairs", str(pairs), "--images", str(FACES)])
    assert "false accepts 0/2, false rejects 0/2" in text.output


def test_verify_pairs_needs_the_columns(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b\nx,y\n", encoding="utf-8")
    result = CliRunner().invoke(
        face, ["verify-pairs", "--pairs", str(pairs), "--images", str(tmp_path)]
    )
    assert result.exit_code != 0 and "file_x,file_y" in result.output


def test_snapshot_from_a_video_file_and_a_missing_camera(tmp_path: Path) -> None:
    picture = np.full((120, 160, 3), (30, 140, 220), np.uint8)
    video = write_video([picture], tmp_path / "cam.avi", fps=10, seconds_per_image=0.5)
    out = tmp_path / "snap.png"
    runner = CliRunner()
    result = runner.invoke(camera, ["snapshot", "--device", str(video), "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = cv2.imread(str(out))
    assert saved.shape == (120, 160, 3)
    assert np.abs(saved.astype(int) - picture.astype(int)).mean() < 8
    missing = runner.invoke(camera, ["snapshot", "--device", "57", "--out", str(out)])
    assert missing.exit_code == 1 and "摄像头" in missing.output


def test_camera_list_without_cameras() -> None:
    if Path("/sys/class/video4linux").is_dir() and any(Path("/sys/class/video4linux").iterdir()):
        pytest.skip("this machine has cameras")
    result = CliRunner().invoke(camera, ["list", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert "No camera found" in CliRunner().invoke(camera, ["list"]).output
