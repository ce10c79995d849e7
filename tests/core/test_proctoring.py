"""Proctoring snapshots with the real face engine on real video files read through OpenCV.

The candidate (C1) was checked in with a photo of one person; the seat camera then shows the
same person, another person, nobody, or two people. Each snapshot is stored; only the
problems raise an incident for the invigilator, and the attempt itself is never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from examkiosk.core.exam import ExamEngine
from examkiosk.core.face_check import FaceService
from examkiosk.core.proctor_incidents import incidents, snapshot_jpeg
from examkiosk.core.proctoring import Proctor, ProctorSchedule, ProctorSettings
from examkiosk.core.station import Station
from tests.core.conftest import ID_NUMBER, TICKET
from tests.core.exam_fixtures import FakeClock

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "faces"


@pytest.fixture(scope="module")
def face() -> FaceService:
    if not (FACES / "single").is_dir():
        pytest.skip(f"face test photos not found at {FACES}")
    service = FaceService.create()
    if not service.available:
        pytest.skip("the face library (dlib models) cannot load on this machine")
    return service


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What the seat camera shows, as MJPG files OpenCV reads like a webcam."""
    from hardware.sim.video import write_video

    folder = tmp_path_factory.mktemp("seat-camera")
    grey = np.full((480, 640, 3), 128, dtype=np.uint8)
    scenes = {
        "same": [FACES / "single" / "obama_2.jpg"],
        "other": [FACES / "single" / "biden_1.jpg"],
        "empty": [grey],
        "two": [FACES / "multi" / "two_people.jpg"],
    }
    return {
        name: write_video(images, folder / f"{name}.avi", fps=5, seconds_per_image=1.0, noise=2.0)
        for name, images in scenes.items()
    }


def camera_frame(video: Path) -> object:
    from hardware.camera import open_camera

    with open_camera(video) as camera:
        return camera.grab(timeout=5.0)


def check_in_snapshot(station: Station, candidate_id: str, photo: Path) -> None:
    """What the door stores when it admits the candidate (a `checkin` snapshot)."""
    jpeg = photo.read_bytes()
    with station.store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO snapshots (kind, candidate_id, taken_at, media_type, data) "
            "VALUES ('checkin', ?, '2026-11-22T08:30:00+08:00', 'image/jpeg', ?)",
            (candidate_id, jpeg),
        )
        event = station.record(
            conn,
            "snapshot.taken",
            {
                "snapshot_id": int(cursor.lastrowid),
                "kind": "checkin",
                "candidate_id": candidate_id,
                "sha256": hashlib.sha256(jpeg).hexdigest(),
                "bytes": len(jpeg),
            },
        )
        conn.execute(
            "UPDATE snapshots SET event_seq = ? WHERE snapshot_id = ?",
            (event.seq, cursor.lastrowid),
        )


@pytest.fixture
def sitting(station: Station, engine: ExamEngine) -> Iterator[str]:
    check_in_snapshot(station, "C1", FACES / "single" / "obama_1.jpg")
    attempt = engine.login(TICKET, ID_NUMBER)
    yield attempt.attempt_id


def test_snapshots_alert_the_invigilator_and_never_touch_the_exam(
    station: Station,
    engine: ExamEngine,
    clock: FakeClock,
    sitting: str,
    face: FaceService,
    videos: dict[str, Path],
) -> None:
    engine.save_answer(sitting, "A1-1", ["C"])
    clock.advance(30)
    engine.tick(sitting)
    before = engine.attempt(sitting)
    answers = engine.answers(sitting)
    proctor = Proctor.for_attempt(station, face, sitting)

    results = {}
    for scene in ("same", "other", "empty", "two"):
        clock.advance(60)  # exam time passes between snapshots; only the engine persists it
        results[scene] = proctor.take(camera_frame(videos[scene]))
    clock.advance(60)
    results["no_camera"] = proctor.take(None, "camera unplugged")

    same = results["same"]
    assert (same.decision, same.incident, same.reference) == ("same_person", None, "checkin")
    assert same.distance is not None and same.distance < 0.5
    other = results["other"]
    assert (other.decision, other.incident) == ("different_person", "different_person")
    assert other.distance is not None and other.distance >= 0.6
    assert (results["empty"].incident, results["empty"].faces) == ("absent", 0)
    assert (results["two"].incident, results["two"].faces) == ("several_faces", 2)
    assert results["no_camera"].incident == "camera_unavailable"
    assert results["no_camera"].snapshot_id is None

    # The invigilator's list: one line per problem, in order, naming the candidate.
    listed = incidents(station)
    assert [i.kind for i in listed] == [
        "different_person",
        "absent",
        "several_faces",
        "camera_unavailable",
    ]
    assert {(i.ticket, i.name, i.seat, i.attempt_id) for i in listed} == {
        (TICKET, "张三", "01", sitting)
    }
    assert listed[0].distance == other.distance
    assert "身份" in listed[0].message_zh
    # Each picture is kept, readable, and tied to its event.
    picture = snapshot_jpeg(station, listed[0].snapshot_id or -1)
    assert picture is not None and picture[:3] == b"\xff\xd8\xff"
    stored = station.store.query(
        "SELECT count(*) FROM snapshots WHERE kind = 'proctor' AND event_seq IS NOT NULL"
    )[0][0]
    assert stored == 4
    assert proctor.taken() == 5

    # The exam went on untouched: same state, time and answers as before the snapshots.
    after = engine.attempt(sitting)
    assert after.state == "in_progress"
    assert after.elapsed_ms == before.elapsed_ms
    assert after.remaining_ms == before.remaining_ms
    assert engine.answers(sitting) == answers
    assert engine.holds_session(sitting)
    engine.save_answer(sitting, "A2-1", ["A"])  # and the candidate can keep answering
    assert engine.answers(sitting)["A2-1"] == ["A"]


def test_without_a_check_in_snapshot_the_roster_photo_is_the_reference(
    station: Station, engine: ExamEngine, face: FaceService, videos: dict[str, Path]
) -> None:
    roster = face.encode((FACES / "single" / "obama_3.jpg").read_bytes())
    assert roster is not None
    with station.store.transaction() as conn:
        conn.execute("UPDATE candidates SET face_encoding = ? WHERE candidate_id = 'C1'", (roster,))
    attempt = engine.login(TICKET, ID_NUMBER)
    proctor = Proctor.for_attempt(station, face, attempt.attempt_id)
    same = proctor.take(camera_frame(videos["same"]))
    other = proctor.take(camera_frame(videos["other"]))
    assert (same.reference, same.incident) == ("roster", None)
    assert (other.reference, other.incident) == ("roster", "different_person")


def test_without_any_reference_only_presence_is_checked(
    station: Station, engine: ExamEngine, face: FaceService, videos: dict[str, Path]
) -> None:
    attempt = engine.login(TICKET, ID_NUMBER)
    proctor = Proctor.for_attempt(station, face, attempt.attempt_id)
    stranger = proctor.take(camera_frame(videos["other"]))
    empty = proctor.take(camera_frame(videos["empty"]))
    assert (stranger.decision, stranger.incident, stranger.distance) == ("unchecked", None, None)
    assert empty.incident == "absent"


def test_the_schedule_is_random_within_bounds_and_reproducible_per_attempt() -> None:
    settings = ProctorSettings.from_settings(
        {"proctor_min_seconds": 60, "proctor_max_seconds": 120}
    )
    assert (settings.enabled, settings.min_interval_s, settings.max_interval_s) == (
        True,
        60.0,
        120.0,
    )
    first = ProctorSchedule("A-1", 42, 60_000, 120_000)
    delays = [first.delay_ms(n) for n in range(40)]
    assert delays[0] == 0  # one snapshot at the start
    assert all(60_000 <= d <= 120_000 for d in delays[1:])
    assert len(set(delays[1:])) > 10  # random gaps, not a fixed beat a candidate could learn
    assert [ProctorSchedule("A-1", 42, 60_000, 120_000).delay_ms(n) for n in range(40)] == delays
    other = [ProctorSchedule("A-2", 7, 60_000, 120_000).delay_ms(n) for n in range(40)]
    assert other != delays
    # Nonsense in the package falls back to safe values rather than hammering the camera.
    odd = ProctorSettings.from_settings(
        {"proctor_min_seconds": "x", "proctor_max_seconds": 1, "proctoring": False}
    )
    assert not odd.enabled
    assert odd.min_interval_s == 300.0 and odd.max_interval_s >= odd.min_interval_s
