"""`examkiosk bundle export/verify/volumes` from the command line: what lands on the stick,
cancel with Ctrl-C, read-only and full drives, and damaged bundles."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from examkiosk.app.demo_venue import DemoVenue
from examkiosk.core.provision import open_station
from sync.media import list_removable_volumes
from tests.app.sync_helpers import (
    add_answers,
    add_snapshots,
    examkiosk,
    examkiosk_process,
    new_venue,
    start_attempt,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoVenue]:
    venue = new_venue(tmp_path_factory.mktemp("bundle") / "venue")
    start_attempt(venue.station, "C00002")
    add_answers(venue.station, 30, attempt_id="ATT-C00002")
    add_snapshots(venue.station, 2, 30_000, candidate_id="C00002")
    # Activity of no sitting of this station's roster (another sitting's transfer, say).
    with venue.station.store.transaction() as conn:
        venue.station.record(conn, "audit.note", {"text": "door opened"})
    venue.station.close()
    yield venue


def export(demo: DemoVenue, out: Path, *extra: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
    result = examkiosk(
        "bundle", "export", "--data-dir", str(demo.data_dir), "--out", str(out), "--json", *extra,
        ok=ok,
    )  # fmt: skip
    return json.loads(result.stdout) if ok else {"rc": result.returncode, "err": result.stderr}


def verify(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(examkiosk("bundle", "verify", str(path), "--json").stdout)


def test_export_into_a_folder_names_the_bundle_by_station_and_range(
    demo: DemoVenue, tmp_path: Path
) -> None:
    written = export(demo, tmp_path)
    path = Path(written["path"])
    assert path.parent == tmp_path and path.name == f"ST-DEMO-01-1-{written['last_seq']}.ekb"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    info = verify(path)
    assert info["ok"] and info["station_id"] == "ST-DEMO-01"
    assert (info["first_seq"], info["last_seq"], info["snapshot_count"]) == (
        1, written["last_seq"], 2,
    )  # fmt: skip
    text = examkiosk("bundle", "verify", str(path)).stdout
    assert "OK" in text and "S-2026-1122" in text and f"1-{written['last_seq']}" in text


def test_a_sitting_bundle_holds_that_sitting_only(demo: DemoVenue, tmp_path: Path) -> None:
    everything = export(demo, tmp_path / "all.ekb", "--all")
    sitting = export(demo, tmp_path / "sitting.ekb", "--sitting", "S-2026-1122")
    assert sitting["sitting_id"] == "S-2026-1122" and sitting["scope"] == "sitting"
    # Everything but the station's own provisioning record and the station-level audit
    # entries (the note of no sitting, and the staff sign-ins and exports of this test).
    station = open_station(demo.data_dir, demo.passphrase)
    try:
        station_level = [
            e for e in station.events()
            if e.type.startswith("audit.") and e.seq <= everything["last_seq"]
        ]  # fmt: skip
    finally:
        station.close()
    assert any(e.type == "audit.note" for e in station_level)
    assert sitting["event_count"] == everything["event_count"] - 1 - len(station_level)
    assert sitting["snapshot_count"] == 2 and sitting["first_seq"] == 2
    unknown = export(demo, tmp_path / "x.ekb", "--sitting", "S-1999", ok=False)
    assert unknown["rc"] == 2 and "S-2026-1122" in unknown["err"]
    both = export(demo, tmp_path / "x.ekb", "--sitting", "S-2026-1122", "--all", ok=False)
    assert both["rc"] == 2 and "exclude" in both["err"]
    assert not (tmp_path / "x.ekb").exists()


def _wait_for_line(stream: object, needle: str) -> None:
    for line in stream:  # type: ignore[attr-defined]
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never printed")


def test_ctrl_c_cancels_and_leaves_no_partial_file(demo: DemoVenue, tmp_path: Path) -> None:
    big = tmp_path / "big"
    shutil.copytree(demo.data_dir, big)
    from examkiosk.core.provision import open_station

    station = open_station(big, demo.passphrase)
    add_answers(station, 40_000, attempt_id="ATT-C00002")
    station.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    proc = examkiosk_process("bundle", "export", "--data-dir", str(big), "--out", str(usb))
    assert proc.stderr is not None
    _wait_for_line(proc.stderr, "exporting 0%")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "cancelled" in err and "Traceback" not in err
    assert list(usb.iterdir()) == []


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Small tmpfs mounts standing in for a USB stick (full, or write-protected)."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"drive{len(mounted)}"
        point.mkdir()
        if shutil.which("mount") is None:
            pytest.skip("no mount(8): cannot make a small or read-only drive")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root/CAP_SYS_ADMIN): {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_a_full_drive_is_a_clear_error_and_leaves_nothing(
    demo: DemoVenue, drive: Callable[[str], Path]
) -> None:
    stick = drive("size=48k")
    result = export(demo, stick, "--all", ok=False)
    assert result["rc"] == 2 and "full" in result["err"] and "Traceback" not in result["err"]
    assert list(stick.iterdir()) == []


def test_a_write_protected_drive_is_refused_before_any_work(
    demo: DemoVenue, drive: Callable[[str], Path]
) -> None:
    stick = drive("size=1m,ro")
    result = export(demo, stick, ok=False)
    assert result["rc"] == 2 and "read-only" in result["err"]
    assert list(stick.iterdir()) == []


def test_verify_says_what_is_wrong_with_a_damaged_bundle(demo: DemoVenue, tmp_path: Path) -> None:
    path = Path(export(demo, tmp_path, "--all")["path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x40
    bad = tmp_path / "bad.ekb"
    bad.write_bytes(bytes(data))
    result = examkiosk("bundle", "verify", str(bad), "--json", ok=False)
    answer = json.loads(result.stdout)
    assert result.returncode == 1 and answer["ok"] is False and "damaged" in answer["error"]
    plain = examkiosk("bundle", "verify", str(bad), ok=False)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr


def test_volumes_lists_the_mounted_removable_drives() -> None:
    shown = json.loads(examkiosk("bundle", "volumes", "--json").stdout)
    assert [v["mount_point"] for v in shown] == [
        str(v.mount_point) for v in list_removable_volumes()
    ]
    text = examkiosk("bundle", "volumes").stdout
    assert ("no removable drive" in text) == (not shown)
