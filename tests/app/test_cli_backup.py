"""`examkiosk backup create/verify/restore` through the real entry point: a backup taken while
a simulated exam keeps saving answers restores on another data directory with the same answers,
and the restored station's chain is accepted by the centre (or flagged when the backup is old)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examkiosk.app.demo_venue import DemoVenue, build_demo_venue, demo_accounts
from examkiosk.core.accounts import Accounts
from examkiosk.core.exam import ExamEngine
from examkiosk.core.provision import open_station
from examkiosk.core.station import Station
from examkiosk.store.keys import has_staff_slots
from tests.conftest import REPO

TICKET = "202611220001"


# The venue administrator who signs in (accounts travel inside the backup).
STAFF: dict[str, str] = {}


def env(passphrase: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "EXAMKIOSK_LANG": "en",
        "HOME": str(REPO),
        "PYTHONPATH": str(REPO),
        "EXAMKIOSK_PASSPHRASE": passphrase,
        **STAFF,
    }


def run(passphrase: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env=env(passphrase),
    )
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[DemoVenue]:
    demo = build_demo_venue(tmp_path / "venue", faces_dir=None, candidates=4, items=20)
    demo.station.close()
    password = demo_accounts(demo.data_dir)["demo-admin"]
    STAFF.update(EXAMKIOSK_STAFF="demo-admin", EXAMKIOSK_STAFF_PASSWORD=password)
    yield demo
    STAFF.clear()
    demo.central.close()


def answers_in_store(station: Station) -> dict[tuple[str, str], Any]:
    rows = station.store.query("SELECT attempt_id, item_id, answer_json FROM answers")
    return {(str(a), str(i)): json.loads(j) for a, i, j in rows}


def answers_from_events(station: Station, up_to: int) -> dict[tuple[str, str], Any]:
    """The answers as the outbox tells them, replayed up to seq `up_to` (last one wins)."""
    out: dict[tuple[str, str], Any] = {}
    for event in station.events():
        if event.seq <= up_to and event.type == "answer.saved":
            out[(event.payload["attempt_id"], event.payload["item_id"])] = event.payload["answer"]
    return out


def test_backup_while_answers_arrive_restores_elsewhere_and_the_centre_accepts_the_chain(
    venue: DemoVenue, tmp_path: Path
) -> None:
    p = venue.passphrase
    exam = subprocess.Popen(
        [sys.executable, "-m", "examkiosk.app", "exam", "simulate", "--data-dir",
         str(venue.data_dir), "--candidate", TICKET, "--answers", "400", "--delay-ms", "20"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(p),
    )  # fmt: skip
    try:
        assert exam.stdout is not None
        for _ in range(5):  # the exam is under way
            assert exam.stdout.readline().startswith("saved"), exam.stderr
        made = json.loads(
            run(p, "backup", "create", "--data-dir", str(venue.data_dir), "--out",
                str(tmp_path), "--json").stdout
        )  # fmt: skip
        assert exam.poll() is None, "the exam went on while the backup was taken"
        assert exam.stdout.readline().startswith("saved")
    finally:
        exam.send_signal(signal.SIGKILL)  # the station's disk dies
        exam.wait()
    backup = Path(made["path"])
    assert [x.name for x in tmp_path.iterdir() if x.name != "venue"] == [backup.name]

    checked = json.loads(run(p, "backup", "verify", str(backup), "--json").stdout)
    assert checked["ok"] and checked["store_opened"] and checked["events"] == made["last_seq"]

    restored_dir = tmp_path / "new-hardware"
    out = json.loads(
        run(p, "backup", "restore", str(backup), "--data-dir", str(restored_dir), "--json").stdout
    )
    assert out["last_seq_now"] > made["last_seq"]  # the sign-in and backup.restored follow
    assert sorted(x.name for x in restored_dir.iterdir())[:2] == ["keyslots.json", "station.db"]
    assert not (restored_dir / "demo-passphrase").exists()  # the passphrase is never backed up
    # Staff who opened the station with their own password still can after the restore.
    assert has_staff_slots(venue.data_dir / "keyslots.json")
    assert has_staff_slots(restored_dir / "keyslots.json")

    original = open_station(venue.data_dir, p)
    restored = open_station(restored_dir, p)
    try:
        saved_before_backup = answers_from_events(original, made["last_seq"])
        assert len(saved_before_backup) >= 5
        assert answers_in_store(restored) == saved_before_backup
        assert [e.hash for e in restored.events()][: made["last_seq"]] == [
            e.hash for e in original.events()[: made["last_seq"]]
        ]
        restored_event = next(e for e in restored.events() if e.type == "backup.restored")
        assert (
            restored_event.seq > made["last_seq"] and restored_event.payload["by"] == "demo-admin"
        )
    finally:
        original.close()
        restored.close()

    # The exam goes on at the restored station (an invigilator approves taking the attempt
    # over: its last session was alive moments ago); the centre takes the whole chain.
    restored = open_station(restored_dir, p)
    try:
        invigilator = Accounts(restored).sign_in(
            "demo-inv1", demo_accounts(venue.data_dir)["demo-inv1"]
        )
        engine = ExamEngine(restored)
        id_number = restored.store.query(
            "SELECT id_number FROM candidates WHERE ticket = ?", (TICKET,)
        )[0][0]
        attempt = engine.login(TICKET, id_number, takeover_by=invigilator)
        item = engine.seat_state(attempt.attempt_id).paper.items()[0]
        engine.move_to(attempt.attempt_id, item.item_id)
        engine.save_answer(attempt.attempt_id, item.item_id, [item.options[0].key])
        engine.submit(attempt.attempt_id)
    finally:
        restored.close()
    exported = json.loads(
        run(p, "bundle", "export", "--data-dir", str(restored_dir), "--all", "--out",
            str(tmp_path), "--json").stdout
    )  # fmt: skip
    result = venue.central.import_bundle(Path(exported["path"]), venue.central.unlock(p))
    assert result.accepted == exported["event_count"] and result.quarantined == 0
    held = next(s for s in venue.central.report()["stations"] if s["station_id"] == "ST-DEMO-01")
    assert held["gaps"] == [] and held["quarantined"]["count"] == 0 and not held["rollback"]


def test_a_station_restored_from_an_older_backup_is_flagged_by_the_centre(
    venue: DemoVenue, tmp_path: Path
) -> None:
    p = venue.passphrase
    old = json.loads(
        run(p, "backup", "create", "--data-dir", str(venue.data_dir), "--out", str(tmp_path),
            "--json").stdout
    )  # fmt: skip
    run(p, "exam", "simulate", "--data-dir", str(venue.data_dir), "--candidate", TICKET,
        "--answers", "4")  # fmt: skip
    keys = venue.central.unlock(p)
    usb = tmp_path / "usb"
    usb.mkdir()
    sent = json.loads(
        run(p, "bundle", "export", "--data-dir", str(venue.data_dir), "--all", "--out",
            str(usb), "--json").stdout
    )  # fmt: skip
    venue.central.import_bundle(Path(sent["path"]), keys)

    restored_dir = tmp_path / "restored"
    run(p, "backup", "restore", old["path"], "--data-dir", str(restored_dir))
    again = json.loads(
        run(p, "bundle", "export", "--data-dir", str(restored_dir), "--all", "--out",
            str(usb), "--json").stdout
    )  # fmt: skip
    result = venue.central.import_bundle(Path(again["path"]), keys)
    assert result.quarantined >= 1  # the restored history is not merged into the newer one
    held = next(s for s in venue.central.report()["stations"] if s["station_id"] == "ST-DEMO-01")
    assert held["quarantined"]["count"] >= 1


def test_a_damaged_backup_is_refused_and_nothing_is_restored(
    venue: DemoVenue, tmp_path: Path
) -> None:
    p = venue.passphrase
    made = json.loads(
        run(p, "backup", "create", "--data-dir", str(venue.data_dir), "--out",
            str(tmp_path / "b.ekbak"), "--json").stdout
    )  # fmt: skip
    path = Path(made["path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40  # one bit inside the store's pages
    path.write_bytes(bytes(data))

    bad = run(p, "backup", "verify", str(path), "--json", ok=False)
    assert bad.returncode == 1 and "damaged" in json.loads(bad.stdout)["error"]
    shallow = run("", "backup", "verify", str(path), ok=False)  # no passphrase: hashes only
    assert shallow.returncode == 2 and "damaged" in shallow.stderr
    refused = run(p, "backup", "restore", str(path), "--data-dir", str(tmp_path / "r"), ok=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "cannot be used" in refused.stderr
    assert not (tmp_path / "r").exists()
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".")] == []


def test_wrong_passphrase_and_occupied_directory_change_nothing(
    venue: DemoVenue, tmp_path: Path
) -> None:
    made = json.loads(
        run(venue.passphrase, "backup", "create", "--data-dir", str(venue.data_dir), "--out",
            str(tmp_path), "--json").stdout
    )  # fmt: skip
    wrong = run("not-the-passphrase", "backup", "restore", made["path"], "--data-dir",
                str(tmp_path / "r"), ok=False)  # fmt: skip
    assert wrong.returncode == 2 and "passphrase is wrong" in wrong.stderr
    assert not (tmp_path / "r").exists()
    busy = run(venue.passphrase, "backup", "restore", made["path"], "--data-dir",
               str(venue.data_dir), ok=False)  # fmt: skip
    assert busy.returncode == 2 and "never overwrites" in busy.stderr
