"""A door that cannot be bypassed: on a real sitting (the package says `sitting_kind` "exam")
`exam simulate`, the simulated card reader, video-file cameras, the demo devices and
environment overrides are refused through the real command line, with a message, exit status
2 and an `audit.simulation_refused` event; on a demo venue they work for a signed-in venue
administrator only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.core.provision import open_station
from examkiosk.core.simulation import SimulationRefused, simulation_allowed
from examkiosk.core.station import Station
from examkiosk.store.layout import DataDir
from tests.conftest import REPO

MAIN = "from examkiosk.app.cli import main; main()"
TICKET = "202611220001"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("simguard")
    made = {}
    for kind in ("exam", "demo", "rehearsal"):
        build_demo_venue(
            root / kind, faces_dir=None, candidates=2, items=5, sitting_kind=kind
        ).station.close()
        made[kind] = root / kind
    return made


@pytest.fixture
def real(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates["exam"], tmp_path / "real"))


@pytest.fixture
def demo(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates["demo"], tmp_path / "demo"))


@pytest.fixture
def rehearsal(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates["rehearsal"], tmp_path / "rehearsal"))


def run(venue: Path, *args: str, staff: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAMKIOSK_")}
    if staff is not None:
        env.update(EXAMKIOSK_STAFF=staff, EXAMKIOSK_STAFF_PASSWORD=demo_accounts(venue)[staff])
    return subprocess.run(
        [sys.executable, "-c", MAIN, "--lang", "en", *args, "--data-dir", str(venue)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def opened(venue: Path) -> Station:
    return open_station(venue, DataDir(venue).demo_passphrase.read_text().strip())


def state(venue: Path) -> dict[str, Any]:
    """What a bypass would change: check-ins, attempts, answers, stored devices; and the
    audit events of simulation."""
    station = opened(venue)
    try:
        store = station.store
        return {
            "checkins": store.query("SELECT * FROM checkins"),
            "attempts": store.query("SELECT * FROM attempts"),
            "answers": store.query("SELECT count(*) FROM answers")[0][0],
            "devices": store.get_meta("devices"),
            "refused": [
                e.payload for e in station.events() if e.type == "audit.simulation_refused"
            ],
            "events": [e.type for e in station.events()],
        }
    finally:
        station.close()


def test_exam_simulate_is_refused_on_a_real_sitting_even_for_the_administrator(
    real: Path,
) -> None:
    before = state(real)
    done = run(real, "exam", "simulate", "--candidate", TICKET, "--submit", staff="demo-admin")
    assert done.returncode == 2, done.stderr
    assert "real sitting" in done.stderr and "exam simulate" in done.stderr
    assert "Traceback" not in done.stderr and "saved" not in done.stdout
    after = state(real)
    assert after["checkins"] == before["checkins"] and after["attempts"] == before["attempts"]
    assert after["answers"] == 0
    assert after["refused"][-1]["what"] == "exam simulate"
    assert len(after["refused"]) == len(before["refused"]) + 1

    chinese = subprocess.run(
        [sys.executable, "-c", MAIN, "exam", "simulate", "--candidate", TICKET]
        + ["--data-dir", str(real)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert chinese.returncode == 2 and "正式考试" in chinese.stderr


def test_exam_simulate_at_a_rehearsal_needs_a_signed_in_venue_administrator(
    rehearsal: Path,
) -> None:
    nobody = run(rehearsal, "exam", "simulate", "--candidate", TICKET, "--answers", "1")
    assert nobody.returncode == 2 and "needs a member of staff" in nobody.stderr
    invigilator = run(
        rehearsal, "exam", "simulate", "--candidate", TICKET, "--answers", "1", staff="demo-inv1"
    )
    assert invigilator.returncode == 2 and "Only a venue administrator" in invigilator.stderr
    assert state(rehearsal)["attempts"] == []

    done = run(
        rehearsal, "exam", "simulate", "--candidate", TICKET, "--answers", "2", staff="demo-admin"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("saved") == 2
    station = opened(rehearsal)
    try:
        events = station.events()
    finally:
        station.close()
    run_event = next(e for e in events if e.type == "audit.simulation.run")
    assert run_event.payload["by"] == "demo-admin" and run_event.payload["ticket"] == TICKET
    checkin = next(e for e in events if e.type == "checkin.admitted")
    assert checkin.payload["by"] == "demo-admin" and checkin.payload["simulated"] is True


def test_a_demo_venue_signs_in_its_demo_administrator_unattended(demo: Path) -> None:
    done = run(demo, "exam", "simulate", "--candidate", TICKET, "--answers", "1")
    assert done.returncode == 0, done.stderr
    station = opened(demo)
    try:
        ran = [e for e in station.events() if e.type == "audit.simulation.run"]
    finally:
        station.close()
    assert [e.payload["by"] for e in ran] == ["demo-admin"]


def test_simulated_devices_cannot_be_configured_or_forced_on_a_real_sitting(
    real: Path, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"not opened: refused before any device is touched")
    before = state(real)
    for args in (
        ("devices", "set", "--card-reader", "sim"),
        ("devices", "set", "--card-reader", "pcsc", "--camera", str(clip)),
    ):
        done = run(real, *args, staff="demo-tech")
        assert done.returncode == 2 and "real sitting" in done.stderr, done.stderr
    forced = subprocess.run(
        [sys.executable, "-c", MAIN, "--lang", "en", "devices", "show", "--data-dir", str(real)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "EXAMKIOSK_CARD_READER": "sim"},
    )
    assert forced.returncode == 2 and "EXAMKIOSK_CARD_READER" in forced.stderr
    after = state(real)
    assert after["devices"] == before["devices"] is None
    whats = [r["what"] for r in after["refused"][len(before["refused"]) :]]
    assert whats == [
        "card reader sim",
        "camera file:clip.avi",
        "environment EXAMKIOSK_CARD_READER",
    ]


def test_the_kiosk_refuses_demo_and_simulated_devices_on_a_real_sitting(
    real: Path, demo: Path
) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from examkiosk.ui.app import demo_devices, real_devices

    station = opened(real)
    try:
        assert not simulation_allowed(station)
        with pytest.raises(SimulationRefused):
            demo_devices(real, station)  # `examkiosk demo --data-dir REAL`
        # A devices.json from an older version naming the sim reader: imported, but refused.
        (real / "devices.json").write_text(
            json.dumps({"devices": {"card_reader": {"kind": "sim"}}})
        )
        with pytest.raises(SimulationRefused):
            real_devices(station)
        assert (real / "devices.json.imported").exists()
        types = [e.type for e in station.events()]
        assert types.count("audit.simulation_refused") == 2
    finally:
        station.close()
    station = opened(demo)
    try:
        devices = demo_devices(demo, station)
        assert devices.simulated is not None and devices.camera_identity["simulated"] is True
        devices.feed.close()
        devices.seat_camera.close()
    finally:
        station.close()
