"""The demo venue from the command line: roster, bundles, the demo central, and what is
(not) readable on disk."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "EXAMKIOSK_LANG": "en", "HOME": str(REPO)},
    )
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def examkiosk(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run("examkiosk.app", *args, ok=ok)


def central(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run("sync.central.cli", "--home", str(home), *args, ok=ok)


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Path:
    data = tmp_path_factory.mktemp("demo") / "venue"
    examkiosk("demo", "--setup-only", "--data-dir", str(data), "--faces", str(faces_dir))
    return data


@pytest.fixture(scope="module")
def roster(venue: Path) -> list[dict[str, str]]:
    return json.loads(examkiosk("roster", "list", "--data-dir", str(venue), "--json").stdout)


@pytest.fixture(scope="module")
def bundle(venue: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("usb") / "venue.ekb"
    examkiosk("bundle", "export", "--data-dir", str(venue), "--out", str(out))
    return out


def test_demo_roster_lists_twenty_candidates_not_yet_checked_in(
    roster: list[dict[str, str]],
) -> None:
    assert len(roster) == 20
    assert len({c["ticket"] for c in roster}) == 20
    assert all(len(c["id_number"]) == 18 for c in roster)
    assert {c["checkin"] for c in roster} == {"none"}
    assert {c["exam"] for c in roster} == {"not_started"}


def test_demo_setup_twice_keeps_the_venue(venue: Path, roster: list[dict[str, str]]) -> None:
    again = examkiosk("demo", "--setup-only", "--data-dir", str(venue))
    assert "exists" in again.stdout
    assert (
        json.loads(examkiosk("roster", "list", "--data-dir", str(venue), "--json").stdout) == roster
    )


def _plaintext_forms(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("gb18030")]


def test_no_name_or_id_number_in_plain_text_on_disk(
    venue: Path, roster: list[dict[str, str]], bundle: Path
) -> None:
    files = [venue / "station.db", venue / "station.db-wal", bundle]
    blobs = {f.name: f.read_bytes() for f in files if f.exists()}
    assert "station.db" in blobs and "venue.ekb" in blobs
    for candidate in roster:
        for secret in (candidate["name"], candidate["id_number"]):
            for form in _plaintext_forms(secret):
                for name, blob in blobs.items():
                    assert form not in blob, f"{secret!r} readable in {name}"


def test_stdlib_sqlite_cannot_open_the_demo_store(venue: Path) -> None:
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(venue / "station.db").execute("SELECT name FROM sqlite_master").fetchall()


def test_bundle_verify_names_station_and_range_without_keys(bundle: Path) -> None:
    info = json.loads(examkiosk("bundle", "verify", str(bundle), "--json").stdout)
    assert info["ok"] is True
    assert info["station_id"] == "ST-DEMO-01"
    assert info["first_seq"] == 1 and info["last_seq"] == info["event_count"] >= 2


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_bundle_is_refused_and_nothing_is_imported(
    venue: Path, bundle: Path, tmp_path: Path, damage: str
) -> None:
    data = bytearray(bundle.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[: len(data) - 100]
    bad = tmp_path / f"{damage}.ekb"
    bad.write_bytes(bytes(data))

    verify = examkiosk("bundle", "verify", str(bad), ok=False)
    assert verify.returncode != 0
    assert "Traceback" not in verify.stderr and verify.stderr.strip()

    before = json.loads(central(venue / "central", "report", "--json").stdout)
    refused = central(venue / "central", "import-bundle", str(bad), ok=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    after = json.loads(central(venue / "central", "report", "--json").stdout)
    assert after["stations"] == before["stations"]


def test_demo_central_accepts_the_venue_bundle_once(venue: Path, bundle: Path) -> None:
    central(venue / "central", "import-bundle", str(bundle))
    central(venue / "central", "import-bundle", str(bundle))  # the stick is carried twice
    report = json.loads(central(venue / "central", "report", "--json").stdout)
    station = next(s for s in report["stations"] if s["station_id"] == "ST-DEMO-01")
    info = json.loads(examkiosk("bundle", "verify", str(bundle), "--json").stdout)
    assert station["events"]["count"] == info["event_count"]
    assert station["events"]["highest_seq"] == info["last_seq"]
    assert station["gaps"] == [] and station["quarantined"]["count"] == 0


def test_a_wrong_passphrase_is_a_clear_error(venue: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all")
    result = subprocess.run(
        [sys.executable, "-m", "examkiosk.app", "roster", "list", "--data-dir", str(venue)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "EXAMKIOSK_LANG": "en",
            "HOME": str(REPO),
            "EXAMKIOSK_PASSPHRASE": "not the passphrase at all",
        },
    )
    assert result.returncode == 2
    assert "passphrase is wrong" in result.stderr
    assert "Traceback" not in result.stderr


def test_roster_list_states_in_the_chosen_language(venue: Path) -> None:
    chinese = examkiosk("--lang", "zh_CN", "roster", "list", "--data-dir", str(venue)).stdout
    assert "准考证号" in chinese and "未签到" in chinese and "Not in" not in chinese
    english = examkiosk("--lang", "en", "roster", "list", "--data-dir", str(venue)).stdout
    assert "Ticket" in english and "Not in" in english and "未签到" not in english
