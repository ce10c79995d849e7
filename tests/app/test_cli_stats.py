"""`examkiosk stats` at a station after a simulated sitting, and `examkiosk-central stats`
over what the centre received from it: the same counts on both sides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from examkiosk.app.demo_venue import SITTING_ID, build_demo_venue
from examkiosk.core.paper import build_paper
from examkiosk.core.provision import open_station
from examkiosk.store.stats_queries import paper_rows
from tests.conftest import REPO


def run(*args: str, central: bool = False) -> subprocess.CompletedProcess[str]:
    code = "from sync.central.cli import main; main()" if central else (
        "from examkiosk.app.cli import main; main()"
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def table(document: dict, name: str) -> dict:  # type: ignore[type-arg]
    return {r[0]: r[1:] for r in document["tables"][name]["rows"]}


def test_station_and_centre_count_the_same_sitting(tmp_path: Path) -> None:
    venue = build_demo_venue(tmp_path / "venue", faces_dir=None, candidates=4, items=10)
    venue.station.close()
    d = str(venue.data_dir)
    run("exam", "simulate", "--data-dir", d, "--candidate", "202611220001", "--seed", "3",
        "--submit")  # fmt: skip
    run("exam", "simulate", "--data-dir", d, "--candidate", "202611220002", "--answers", "3")
    xlsx, pdf = tmp_path / "station.xlsx", tmp_path / "station.pdf"
    here = json.loads(
        run("stats", "--data-dir", d, "--sitting", SITTING_ID, "--json", "--xlsx", str(xlsx),
            "--pdf", str(pdf)).stdout
    )  # fmt: skip
    # 4 on the roster, 2 checked in at the (simulated) door, 2 did not come.
    assert table(here, "attendance")["V-DEMO-01"][:4] == [4, 2, 0, 2]
    exam = table(here, "exam")
    assert (exam["started"], exam["submitted"], exam["unfinished"]) == ([2], [1], [1])
    items = table(here, "items")
    assert len(items) == 10
    p_values = {item: row[1] for item, row in items.items()}
    assert set(p_values.values()) <= {0.0, 1.0}  # one submitted attempt: right or wrong
    assert load_workbook(xlsx)["attendance"]["B3"].value == 4
    assert pdf.read_bytes().startswith(b"%PDF-")

    station = open_station(venue.data_dir, venue.passphrase)
    try:
        exported = station.events()[-1]  # exports are on the record, naming the person
        assert exported.type == "audit.stats.export" and exported.payload["by"] == "demo-admin"
        with station.store.reading() as conn:
            paper = build_paper(paper_rows(conn)).items()
    finally:
        station.close()
    key = {i.item_id: list(i.key) for i in paper}
    # The items it got right make up its score.
    right = sum(i.score for i in paper if p_values[i.item_id] == 1.0)
    total = sum(i.score for i in paper)
    assert round(100 * right / total, 2) == here["summary"]["mean_pct"]
    run("bundle", "export", "--data-dir", d, "--all", "--out", str(tmp_path))
    bundle = next(tmp_path.glob("*.ekb"))
    home = str(venue.data_dir / "central")
    run("--home", home, "import-bundle", str(bundle), central=True)
    (tmp_path / "key.json").write_text(json.dumps(key))
    there = json.loads(
        run("--home", home, "stats", "--sitting", SITTING_ID, "--key", str(tmp_path / "key.json"),
            "--json", "--xlsx", str(tmp_path / "central.xlsx"), central=True).stdout
    )  # fmt: skip
    for name in ("attendance", "exam", "items", "scores", "per_hour"):
        assert there["tables"][name] == here["tables"][name], name
    assert load_workbook(tmp_path / "central.xlsx").sheetnames[1] == "attendance"
