"""`examkiosk-central make-update` and `examkiosk update`: the centre signs a release, a venue
administrator applies it on a station; one signed by another centre changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from examkiosk.app.demo_venue import demo_accounts
from sync.central.home import CentralHome
from tests.app.sync_helpers import cli_env, new_venue
from tests.conftest import REPO
from tests.core.test_update import make_release


def run(module: str, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env=cli_env(**env),
    )
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = new_venue(tmp_path_factory.mktemp("venue") / "v")
    demo.station.close()
    return demo.data_dir


def test_centre_signs_an_update_and_an_administrator_applies_it(
    venue: Path, tmp_path: Path
) -> None:
    install = tmp_path / "opt"
    make_release(install / "releases" / "0.1.0", "0.1.0")
    (install / "current").symlink_to("releases/0.1.0")
    release = make_release(tmp_path / "build", "0.2.0")
    update = tmp_path / "examkiosk-0.2.0.eku"
    made = run(
        "sync.central.cli", "--home", str(venue / "central"), "make-update",
        "--release", str(release), "--version", "0.2.0", "--out", str(update),
    )  # fmt: skip
    assert "0.2.0" in made.stdout and update.is_file()
    common = ("--data-dir", str(venue), "--install-root", str(install))
    checked = run("examkiosk.app", "update", "check", str(update), *common)
    assert "can be applied: 0.2.0" in checked.stdout
    # A wrong password installs nothing (a demo venue would sign its demo admin in unasked).
    refused = run(
        "examkiosk.app", "update", "apply", str(update), *common, "--staff", "demo-admin",
        ok=False, EXAMKIOSK_STAFF_PASSWORD="not-the-password",
    )  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert os.readlink(install / "current") == "releases/0.1.0"
    password = demo_accounts(venue)["demo-admin"]
    applied = run(
        "examkiosk.app", "update", "apply", str(update), *common, "--staff", "demo-admin",
        EXAMKIOSK_STAFF_PASSWORD=password,
    )  # fmt: skip
    assert "0.1.0 -> 0.2.0" in applied.stdout
    assert os.readlink(install / "current") == "releases/0.2.0"
    status = run("examkiosk.app", "update", "status", "--install-root", str(install))
    assert "installed: 0.2.0" in status.stdout and "previous: 0.1.0" in status.stdout


def test_an_update_from_another_centre_is_refused_with_a_message(
    venue: Path, tmp_path: Path
) -> None:
    other = CentralHome(tmp_path / "other-centre")
    other.init("another-centre-passphrase-1")
    install = tmp_path / "opt"
    make_release(install / "releases" / "0.1.0", "0.1.0")
    (install / "current").symlink_to("releases/0.1.0")
    update = tmp_path / "foreign.eku"
    run(
        "sync.central.cli", "--home", str(tmp_path / "other-centre"), "make-update",
        "--release", str(make_release(tmp_path / "build", "0.2.0")), "--version", "0.2.0",
        "--out", str(update), EXAMKIOSK_CENTRAL_PASSPHRASE="another-centre-passphrase-1",
    )  # fmt: skip
    password = demo_accounts(venue)["demo-admin"]
    result = run(
        "examkiosk.app", "update", "apply", str(update), "--data-dir", str(venue),
        "--install-root", str(install), "--staff", "demo-admin", ok=False,
        EXAMKIOSK_STAFF_PASSWORD=password,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "signed" in result.stderr.lower() or "key" in result.stderr.lower(), result.stderr
    assert os.readlink(install / "current") == "releases/0.1.0"
    assert sorted(p.name for p in (install / "releases").iterdir()) == ["0.1.0"]
