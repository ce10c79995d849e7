"""The central home: keys, passphrase, command line, packages for stations to fetch."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sync.central.errors import AlreadyInitialised
from sync.central.home import CentralHome
from sync.central.server import BackgroundServer
from sync.crypto import KeyPair
from sync.errors import WrongPassphrase
from sync.package import PackageMeta, open_package

from .conftest import Central
from .helpers import signed

REPO = Path(__file__).resolve().parents[3]


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EXAMKIOSK_CENTRAL")}
    return subprocess.run(
        [sys.executable, "-m", "sync.central.cli", "--home", str(home), *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**base, "PYTHONPATH": str(REPO), **(env or {})},
    )  # fmt: skip


def test_keys_are_wrapped_private_and_never_overwritten(tmp_path: Path) -> None:
    home = CentralHome(tmp_path / "c")
    public = home.init("first passphrase")
    keys_file = tmp_path / "c" / "keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    before = keys_file.read_bytes()
    assert home.unlock("first passphrase").to_bytes().hex()[:32] not in before.decode()
    with pytest.raises(AlreadyInitialised):
        home.init("second passphrase")
    assert keys_file.read_bytes() == before
    with pytest.raises(WrongPassphrase):
        home.unlock("wrong passphrase")
    assert home.unlock("first passphrase").public() == public == home.public_keys()


def test_cli_passphrase_sources_and_clear_errors(tmp_path: Path) -> None:
    home = tmp_path / "c"
    no_pass = cli(home, "init")
    assert no_pass.returncode == 2 and "EXAMKIOSK_CENTRAL_PASSPHRASE" in no_pass.stderr
    assert "Traceback" not in no_pass.stderr
    secret = tmp_path / "pass.txt"
    secret.write_text("from a file\n")
    assert cli(home, "--passphrase-file", str(secret), "init").returncode == 0
    again = cli(home, "--passphrase-file", str(secret), "init")
    assert again.returncode == 2 and "already has keys" in again.stderr
    station = KeyPair.generate().public()
    keys_json = tmp_path / "station.json"
    keys_json.write_text(json.dumps(station.to_dict()))
    reg = cli(home, "register-station", "SEAT-01", "--venue", "V1", "--keys", str(keys_json))
    assert reg.returncode == 0, reg.stderr
    assert (
        json.loads(cli(home, "report", "--json").stdout)["stations"][0]["station_id"] == "SEAT-01"
    )
    text = cli(home, "report")
    assert "SEAT-01" in text.stdout and "No problems" in text.stdout
    bundle = tmp_path / "junk.ekb"
    bundle.write_bytes(b"EKENV1\n garbage")
    wrong = cli(home, "import-bundle", str(bundle), env={"EXAMKIOSK_CENTRAL_PASSPHRASE": "nope"})
    assert wrong.returncode == 2 and "password is not correct" in wrong.stderr
    (home / "demo-passphrase").write_text("from a file\n")
    refused = cli(home, "import-bundle", str(bundle))
    assert refused.returncode == 1 and "REFUSED" in refused.stderr
    assert cli(home, "report", "--strict").returncode == 1  # the refused bundle is a problem


def test_stations_fetch_the_package_issued_for_their_venue(
    central: Central, server: BackgroundServer
) -> None:
    station = central.station("SEAT-01", "V1")
    now = datetime.now(UTC)
    meta = PackageMeta(
        exam_id="E1", version=3, venue_id="V1", sitting_id="S1",
        valid_from=(now - timedelta(hours=1)).isoformat(),
        valid_until=(now + timedelta(days=1)).isoformat(), issued_at=now.isoformat(),
        central_key_id=central.keys.public().key_id,
    )  # fmt: skip
    central.home.issue_package({"paper": {"items": []}}, meta, central.keys, [station.public()])
    answer = signed("GET", f"{server.url}/v1/venues/V1/package", "SEAT-01", station)
    assert answer.status_code == 200 and answer.signed_by_centre(central.keys.public())
    got, content = open_package(answer.content, central=central.home.public_keys(),
                                station=station, venue_id="V1", now=now)  # fmt: skip
    assert got.version == 3 and content["paper"] == {"items": []}
    other = signed("GET", f"{server.url}/v1/venues/V2/package", "SEAT-01", station)
    assert other.status_code == 403 and other.json()["reason"] == "wrong_venue"
    seat2 = central.station("SEAT-02", "V2")
    missing = signed("GET", f"{server.url}/v1/venues/V2/package", "SEAT-02", seat2)
    assert missing.status_code == 404 and missing.json()["reason"] == "no_package"
    assert requests.get(f"{server.url}/v1/venues/V1/package", timeout=10).status_code == 401
