"""`examkiosk inspect` on a healthy door station and on broken ones: no card reader, a full
disk (a real tiny tmpfs), a damaged store page, a clock far off the centre's (measured over
real HTTP against the central service on 127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from examkiosk.app.demo_venue import DemoVenue, build_demo_venue
from examkiosk.app.inspect_run import run_inspection
from examkiosk.core.backup import create_backup
from examkiosk.core.clock import ShiftedClock
from examkiosk.core.export import export_to
from examkiosk.core.inspection import InspectionReport
from examkiosk.core.provision import open_station
from examkiosk.core.sync_state import push_once, save_central
from sync.central.server import BackgroundServer
from tests.conftest import REPO
from tests.core.ops_fixtures import tiny_tmpfs


def camera_video(path: Path, frames: int = 60) -> Path:
    """A real video file the configured camera plays (640x480, 25 frames/s)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (640, 480))
    for i in range(frames):
        image = np.full((480, 640, 3), 40 + i % 100, np.uint8)
        cv2.putText(image, str(i), (50, 240), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
        writer.write(image)
    writer.release()
    return path


def make_healthy(root: Path, monkeypatch: pytest.MonkeyPatch) -> DemoVenue:
    """A door station with a camera and reader configured, backed up, everything exported;
    its passphrase comes from the environment as on a real station (no demo file)."""
    venue = build_demo_venue(root, faces_dir=None, candidates=4, items=10)
    (root / "demo-passphrase").unlink()
    monkeypatch.setenv("EXAMKIOSK_PASSPHRASE", venue.passphrase)
    video = camera_video(root.parent / f"{root.name}-camera.avi")
    devices = {"devices": {"card_reader": {"kind": "sim"}, "camera": {"source": str(video)}}}
    (root / "devices.json").write_text(json.dumps(devices))
    (root.parent / "backups").mkdir(exist_ok=True)
    create_backup(venue.station, root, root.parent / "backups")
    export_to(venue.station, root.parent, everything=True)
    venue.station.close()
    return venue


def lines(report: InspectionReport) -> dict[str, str]:
    return {f.key: f.status for f in report.findings}


@pytest.fixture
def healthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoVenue]:
    venue = make_healthy(tmp_path / "door", monkeypatch)
    yield venue
    venue.central.close()


def test_a_healthy_station_passes_and_the_inspection_is_an_event(
    healthy: DemoVenue, tmp_path: Path
) -> None:
    pdf = tmp_path / "report.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", "--lang", "en", "inspect", "--data-dir",
         str(healthy.data_dir), "--json", "--pdf", str(pdf)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["verdict"] == "ok", [f for f in report["findings"] if f["status"] != "ok"]
    keys = {f["key"] for f in report["findings"]}
    assert {"store.integrity", "store.chain", "disk.store", "sync", "clock", "backup", "logs",
            "devices.readers", "devices.camera", "devices.face", "security.https"} <= keys  # fmt: skip
    camera = next(f for f in report["findings"] if f["key"] == "devices.camera")
    assert "640x480" in camera["detail"]
    assert pdf.read_bytes().startswith(b"%PDF-") and b"NotoSansCJK" in pdf.read_bytes()

    station = open_station(healthy.data_dir, healthy.passphrase)
    try:
        last = station.events()[-1]
    finally:
        station.close()
    assert last.type == "inspection.done" and last.seq == report["recorded_seq"]
    assert last.payload["verdict"] == "ok" and last.payload["failures"] == []


def test_no_card_reader_is_a_warning_not_a_failure(healthy: DemoVenue) -> None:
    devices = json.loads((healthy.data_dir / "devices.json").read_text())
    devices["devices"]["card_reader"] = {"kind": "pcsc", "reader": "ACS ACR1281U-C1 not here"}
    (healthy.data_dir / "devices.json").write_text(json.dumps(devices))
    report = run_inspection(healthy.data_dir)
    assert lines(report)["devices.readers"] == "warning"
    assert report.verdict == "warning" and report.exit_status == 0
    reader = next(f for f in report.findings if f.key == "devices.readers")
    assert "pcscd" in reader.action_en


def test_a_full_disk_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with tiny_tmpfs(tmp_path / "small", "8m") as small:
        venue = make_healthy(small / "door", monkeypatch)
        try:
            filler = small / "filler"
            with filler.open("wb") as handle:  # fill the disk as a runaway log would
                try:
                    while True:
                        handle.write(b"\0" * 65536)
                        handle.flush()
                except OSError:
                    pass
            report = run_inspection(venue.data_dir, devices=False)
            disk = next(f for f in report.findings if f.key == "disk.store")
            assert disk.status == "failure" and "MiB free" in disk.detail
            assert report.verdict == "failure" and report.exit_status == 1
        finally:
            venue.central.close()


def test_a_damaged_store_page_is_a_failure(healthy: DemoVenue) -> None:
    store = healthy.data_dir / "station.db"
    data = bytearray(store.read_bytes())
    page = 4096
    assert len(data) > 12 * page
    middle = (len(data) // page // 2) * page + 300
    data[middle : middle + 16] = bytes(16)  # one page's ciphertext overwritten
    store.write_bytes(bytes(data))
    report = run_inspection(healthy.data_dir, devices=False)
    found = lines(report)
    assert "failure" in (found.get("store.integrity"), found.get("store.open"))
    assert report.verdict == "failure" and report.exit_status == 1


def test_a_clock_far_off_the_centres_is_a_failure(healthy: DemoVenue) -> None:
    keys = healthy.central.unlock(healthy.passphrase)
    with BackgroundServer(healthy.central, keys) as server:
        station = open_station(
            healthy.data_dir, healthy.passphrase, ShiftedClock(timedelta(hours=2))
        )
        try:
            save_central(station, server.url, allow_plain_http=True)
            push_once(station)
        finally:
            station.close()
        report = run_inspection(healthy.data_dir, devices=False)
        clock = next(f for f in report.findings if f.key == "clock")
        assert clock.status == "failure" and "+72" in clock.detail  # about +7200 s
        assert report.verdict == "failure"

        station = open_station(healthy.data_dir, healthy.passphrase)  # the clock set right
        try:
            push_once(station)
        finally:
            station.close()
        assert lines(run_inspection(healthy.data_dir, devices=False))["clock"] == "ok"


def test_events_waiting_for_the_centre_for_hours_are_a_warning(healthy: DemoVenue) -> None:
    three_hours_ago = ShiftedClock(timedelta(hours=-3))
    station = open_station(healthy.data_dir, healthy.passphrase, three_hours_ago)
    try:
        with station.store.transaction() as conn:
            station.record(conn, "audit.note", {"text": "door opened"})
    finally:
        station.close()
    report = run_inspection(healthy.data_dir, devices=False)
    sync = next(f for f in report.findings if f.key == "sync")
    assert sync.status == "warning" and "bundle export" in sync.action_en
    assert report.verdict == "warning" and report.exit_status == 0


def test_a_locked_out_account_is_a_warning(healthy: DemoVenue) -> None:
    from examkiosk.core.accounts import Accounts
    from examkiosk.core.errors import KioskError

    station = open_station(healthy.data_dir, healthy.passphrase)
    try:
        for _ in range(5):
            with pytest.raises(KioskError):
                Accounts(station).sign_in("demo-inv1", "not the password")
    finally:
        station.close()
    report = run_inspection(healthy.data_dir, devices=False)
    accounts = next(f for f in report.findings if f.key == "security.accounts")
    assert accounts.status == "warning" and "locked out: demo-inv1" in accounts.detail


def test_a_station_without_accounts_yet_is_inspected_with_the_passphrase(tmp_path: Path) -> None:
    from examkiosk.core.provision import provision_station
    from sync.crypto import KeyPair

    passphrase = "a-long-recovery-passphrase-2026"
    provision_station(
        tmp_path / "new", station_id="ST-NEW-01", venue_id="V-1", mode="seat",
        central=KeyPair.generate().public(), passphrase=passphrase,
    ).close()  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", "--lang", "en", "inspect", "--data-dir",
         str(tmp_path / "new"), "--no-devices", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "EXAMKIOSK_PASSPHRASE": passphrase},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert {f["key"]: f["status"] for f in report["findings"]}["security.accounts"] == "warning"
    station = open_station(tmp_path / "new", passphrase)
    try:
        assert station.events()[-1].payload["by"] == "recovery-passphrase"
    finally:
        station.close()
