"""What the door-and-transfer guards cost on the command line, against a baseline in the
same run on the same demo venue.

    .venv/bin/python benchmarks/transfer_guard.py [--runs N]

- baseline: `exam show --json` (start-up, unlock the store, read an attempt);
- simulate: `exam simulate --answers 0` with a staff sign-in (start-up, unlock, the
  rehearsal/demo check, scrypt password check, audit events, simulated check-in);
- import: `exam import-attempt` of a transfer from the venue's other station (start-up,
  unlock, sign-in, the package's station list, signature and bounds checks, import);
- refused: `exam import-attempt` of a file signed with a throw-away key (refused, audited).
Prints the median of each and its ratio to the baseline. No goal: the figures are for the
issue's notes (the sign-in's scrypt is the cost that matters).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts  # noqa: E402
from examkiosk.core.exam import ExamEngine  # noqa: E402
from examkiosk.core.provision import open_station  # noqa: E402
from examkiosk.core.transfer import seal  # noqa: E402
from sync.crypto import KeyPair  # noqa: E402

MAIN = "from examkiosk.app.cli import main; main()"
TICKET = "202611220001"


def cli(data_dir: Path, *args: str, staff: str | None = None) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if staff:
        env.update(EXAMKIOSK_STAFF=staff, EXAMKIOSK_STAFF_PASSWORD=demo_accounts(data_dir)[staff])
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "exam", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    took = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(done.stderr)
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_demo_venue(
            work / "door", faces_dir=None, candidates=3, items=20, spare_dirs=(work / "spare",)
        ).station.close()
        door, spare = work / "door", work / "spare"
        cli(door, "simulate", "--candidate", TICKET, "--answers", "3", staff="demo-admin")
        eka = work / "a.eka"
        cli(door, "export-attempt", "--candidate", TICKET, "--out", str(eka), staff="demo-inv1")
        station = open_station(door, (door / "demo-passphrase").read_text().strip())
        try:
            engine = ExamEngine(station)
            rogue = KeyPair.generate()
            station.keys = lambda: rogue  # type: ignore[method-assign]
            body = {"exam_id": engine.settings().exam_id, "attempt_id": "x"}
            forged = work / "forged.eka"
            forged.write_bytes(seal(engine, body))
        finally:
            station.close()
        figures: dict[str, list[float]] = {"baseline": [], "simulate": [], "import": []}
        figures["refused"] = []
        for _ in range(args.runs):
            figures["baseline"].append(cli(door, "show", "--candidate", TICKET, "--json"))
            figures["simulate"].append(
                cli(door, "simulate", "--candidate", TICKET, "--answers", "0", staff="demo-admin")
            )
            target = work / "spare-run"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(spare, target)
            figures["import"].append(cli(target, "import-attempt", str(eka), staff="demo-inv1"))
            figures["refused"].append(cli(target, "import-attempt", str(forged), staff="demo-inv1"))
    base = statistics.median(figures["baseline"])
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<9} median {median * 1000:7.0f} ms  x{median / base:4.2f} of baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
