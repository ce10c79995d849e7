"""Generated and hand-made hostile files through the commands that take files from outside:
`examkiosk package import`, `examkiosk exam import-attempt`, `examkiosk-central import-bundle`.
Each must exit non-zero with a message, never a traceback, and change no stored state."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from examkiosk.app.demo_venue import DemoVenue
from examkiosk.core.export import export_bundle
from examkiosk.core.provision import open_station
from tests.app.sync_helpers import add_answers, cli_env, new_venue, start_attempt
from tests.conftest import REPO


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoVenue]:
    venue = new_venue(tmp_path_factory.mktemp("hostile") / "venue")
    start_attempt(venue.station, "C00001")
    add_answers(venue.station, 50)
    yield venue
    venue.station.close()
    venue.central.close()


def hostile_files(folder: Path, real: dict[str, bytes]) -> dict[str, Path]:
    """Junk of every shape, plus real files of each kind damaged in the ways a drive or an
    attacker damages them."""
    rng = random.Random(10)
    made: dict[str, bytes] = {
        "empty": b"",
        "random-1k": rng.randbytes(1024),
        "random-256k": rng.randbytes(256 * 1024),
        "text": "考试包\n".encode() * 100,
        "json": b'{"format": "ek", "version": 1, "length": 18446744073709551615}',
        "deep-json": b"[" * 50_000 + b"]" * 50_000,
        "envelope-magic-then-junk": b"EKENV1\n" + rng.randbytes(4096),
        "nul-bytes": b"\0" * 65536,
    }
    for kind, data in real.items():
        made[f"{kind}-truncated"] = data[: len(data) // 2]
        made[f"{kind}-header-only"] = data[:64]
        flipped = bytearray(data)
        for _ in range(8):
            flipped[rng.randrange(len(flipped))] ^= 0xFF
        made[f"{kind}-bit-flipped"] = bytes(flipped)
        made[f"{kind}-doubled"] = data + data
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in made.items():
        paths[name] = folder / f"{name}.bin"
        paths[name].write_bytes(data)
    return paths


def run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
        timeout=120, env=cli_env(PYTHONPATH=str(REPO)),
    )  # fmt: skip


def station_digest(venue: DemoVenue) -> str:
    station = open_station(venue.data_dir, venue.passphrase)
    try:
        rows = station.store.query(
            "SELECT (SELECT count(*) FROM candidates), (SELECT count(*) FROM items), "
            "(SELECT group_concat(content_json) FROM packages), "
            # Audit entries (sign-ins, refusals) are expected: every attempt is recorded.
            "(SELECT count(*) FROM events WHERE type NOT LIKE 'audit.%'), "
            "(SELECT count(*) FROM attempts)"
        )
    finally:
        station.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def central_digest(venue: DemoVenue) -> str:
    rows = venue.central.store.read("SELECT count(*), coalesce(max(seq), 0) FROM events")
    return repr(rows)


def assert_refused_cleanly(result: subprocess.CompletedProcess[str], name: str) -> None:
    said = result.stdout + result.stderr
    assert result.returncode not in (0,), f"{name}: accepted\n{said[-500:]}"
    assert "Traceback" not in said, f"{name}:\n{said[-2000:]}"
    assert result.stderr.strip(), f"{name}: refused without a message"


def test_hostile_files_change_nothing_anywhere(venue: DemoVenue, tmp_path: Path) -> None:
    bundle = tmp_path / "real.ekb"
    export_bundle(venue.station, bundle)
    real = {"package": venue.package_path.read_bytes(), "bundle": bundle.read_bytes()}
    venue.station.close()
    files = hostile_files(tmp_path / "hostile", real)
    before_station = station_digest(venue)
    before_central = central_digest(venue)
    data_dir = str(venue.data_dir)
    for name, path in files.items():
        assert_refused_cleanly(
            run("examkiosk.app", "package", "import", "--data-dir", data_dir, str(path)),
            f"package import {name}",
        )
        assert_refused_cleanly(
            run(
                "examkiosk.app",
                "exam",
                "import-attempt",
                "--data-dir",
                data_dir,
                str(path),
                "--invigilator",
                "T1",
            ),  # fmt: skip
            f"import-attempt {name}",
        )
    assert station_digest(venue) == before_station
    venue.central.close()
    env_home = str(venue.central.home)
    os.environ.setdefault("EXAMKIOSK_LANG", "en")
    paths = [str(p) for p in files.values()]
    result = subprocess.run(
        [sys.executable, "-m", "sync.central.cli", "--home", env_home, "import-bundle", *paths],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env=cli_env(PYTHONPATH=str(REPO), EXAMKIOSK_CENTRAL_PASSPHRASE=venue.passphrase),
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert f"0 imported, {len(paths)} refused" in result.stderr
    assert central_digest(venue) == before_central
