"""Setting up a real station end to end, as an administrator would, through both command
lines: centre keys → provision → register → issue a package → import it → sealed paper
opened at the start → a bundle the centre accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from examkiosk.app import demo_content
from sync.credentials import make_verifier
from tests.conftest import REPO


def _run(module: str, *args: str, env: dict[str, str], ok: bool = True, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
        timeout=300, env=env, input=stdin,
    )  # fmt: skip
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def test_a_station_is_set_up_and_sends_its_results(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "EXAMKIOSK_LANG": "en",
        "EXAMKIOSK_PASSPHRASE": "station recovery words",  # 12+ characters, ~46 bits
        "EXAMKIOSK_CENTRAL_PASSPHRASE": "central key words",
    }
    home, data = tmp_path / "central", tmp_path / "station"

    def central(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return _run("sync.central.cli", "--home", str(home), *args, env=env, ok=ok)

    def station(*args: str, ok: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return _run("examkiosk.app", *args, env=env, ok=ok, stdin=stdin)

    central("init")
    (tmp_path / "central.json").write_text(central("public-keys").stdout)
    station(
        "provision", "--data-dir", str(data), "--station-id", "ST-0101-01", "--venue", "V0101",
        "--mode", "door", "--central-keys", str(tmp_path / "central.json"),
        "--keys-out", str(tmp_path / "station.json"),
    )  # fmt: skip
    again = station(
        "provision", "--data-dir", str(data), "--station-id", "ST-0101-01", "--venue", "V0101",
        "--mode", "door", "--central-keys", str(tmp_path / "central.json"), ok=False,
    )  # fmt: skip
    assert again.returncode == 2 and "already holds a station" in again.stderr
    central(
        "register-station",
        "ST-0101-01",
        "--venue",
        "V0101",
        "--keys",
        str(tmp_path / "station.json"),
    )

    content = {
        "exam": {"exam_id": "EX-1", "title": "Test sitting", "sitting_id": "S-1"},
        "duration_minutes": 60,
        # The venue's staff travel with the package: verifiers made at the centre.
        "staff": [
            {
                "staff_number": "A-0101",
                "name": "王主考",
                "role": "venue_admin",
                "verifier": make_verifier("Harbor-Lantern#61"),
            },
            {
                "staff_number": "I-0101",
                "name": "李监考",
                "role": "invigilator",
                "verifier": make_verifier("Meadow-Quartz#29"),
            },
        ],
        "roster": demo_content.roster(5, "S-1", []),
        "paper": demo_content.paper(10),
    }
    (tmp_path / "content.json").write_text(json.dumps(content, ensure_ascii=False))
    (tmp_path / "paper-password").write_text("4711 0815")
    now = datetime.now().astimezone()
    central(
        "issue-package", "--content", str(tmp_path / "content.json"), "--exam-id", "EX-1",
        "--version", "1", "--venue", "V0101", "--sitting", "S-1",
        "--valid-from", (now - timedelta(hours=1)).isoformat(),
        "--valid-until", (now + timedelta(days=2)).isoformat(),
        "--paper-password-file", str(tmp_path / "paper-password"),
        "--out", str(tmp_path / "exam.ekp"),
    )  # fmt: skip

    # The first package of a new station goes in with the recovery passphrase that opened it.
    imported = station("package", "import", "--data-dir", str(data), str(tmp_path / "exam.ekp"))
    assert "5 candidates, 0 items (paper sealed" in imported.stdout
    # From now on people sign in: the recovery passphrase alone opens no roster.
    anonymous = station("roster", "list", "--data-dir", str(data), "--json", ok=False)
    assert anonymous.returncode == 2 and "--staff" in anonymous.stderr
    env.update(EXAMKIOSK_STAFF="I-0101", EXAMKIOSK_STAFF_PASSWORD="Meadow-Quartz#29")
    roster = json.loads(station("roster", "list", "--data-dir", str(data), "--json").stdout)
    assert [c["ticket"] for c in roster] == [c["ticket"] for c in content["roster"]]

    # An invigilator may not open the paper; the venue administrator may.
    refused = station("exam", "release-paper", "--data-dir", str(data), "--password", "47110815",
                      ok=False)  # fmt: skip
    assert refused.returncode == 2 and "venue administrator" in refused.stderr
    env.update(EXAMKIOSK_STAFF="A-0101", EXAMKIOSK_STAFF_PASSWORD="Harbor-Lantern#61")
    wrong = station("exam", "release-paper", "--data-dir", str(data), "--password", "0000",
                    ok=False)  # fmt: skip
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    opened = station("exam", "release-paper", "--data-dir", str(data), "--password", "47110815")
    assert "10 items" in opened.stdout
    trail = json.loads(station("audit", "list", "--data-dir", str(data), "--json").stdout)
    acts = [(e["action"], e["by"]) for e in trail]
    assert ("refused", "I-0101") in acts and ("roster_viewed", "I-0101") in acts
    assert ("paper.released", "A-0101") in acts

    station("bundle", "export", "--data-dir", str(data), "--out", str(tmp_path / "out.ekb"))
    central("import-bundle", str(tmp_path / "out.ekb"))
    report = json.loads(central("report", "--json").stdout)
    row = next(s for s in report["stations"] if s["station_id"] == "ST-0101-01")
    info = json.loads(station("bundle", "verify", str(tmp_path / "out.ekb"), "--json").stdout)
    assert row["events"]["count"] == info["event_count"] >= 3  # provisioned, imported, released
    assert row["gaps"] == [] and row["quarantined"]["count"] == 0
