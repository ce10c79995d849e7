"""Backup of a 500-candidate store while answers keep arriving.

    .venv/bin/python benchmarks/backup.py [--candidates 500] [--items 100] [--saves 200]

A demo venue with 500 candidates, each with an attempt and `--items` saved answers (their
history in the outbox), then a seat process saving answers through the exam engine
(`ExamEngine.save_answer`: validation, answer upsert, hash-chained event, one durable commit)
every 10 ms:
- quiet: the seat's answer-save latency with nothing else running;
- during: the same while `create_backup` (online copy on a second connection, integrity
  check of the copy, tar with manifest and hashes, read back) runs in this process.
Figures: the backup's duration and size; save latency p50/p95 in both phases, same run.
Goal: p50 during <= 2x p50 quiet. Exit status 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 2.0


def seat(data_dir: Path, passphrase: str, saves: int, pause: float) -> None:
    """The seat process: one candidate answering; prints `end_wall latency_s` per save."""
    from examkiosk.app.cli_exam import _check_in_simulated
    from examkiosk.app.demo_venue import demo_accounts
    from examkiosk.core.accounts import Accounts
    from examkiosk.core.exam import ExamEngine
    from examkiosk.core.provision import open_station

    station = open_station(data_dir, passphrase)
    ticket, id_number = station.store.query(
        "SELECT ticket, id_number FROM candidates ORDER BY seat DESC LIMIT 1"
    )[0]
    admin = Accounts(station).sign_in("demo-admin", demo_accounts(data_dir)["demo-admin"])
    _check_in_simulated(station, ticket, admin)
    engine = ExamEngine(station)
    attempt = engine.login(ticket, id_number)
    items = engine.seat_state(attempt.attempt_id).paper.items()
    engine.move_to(attempt.attempt_id, items[0].item_id)
    section = items[0].section_id
    items = [i for i in items if i.section_id == section]
    print("ready", flush=True)
    for n in range(saves):
        item = items[n % len(items)]
        start = time.perf_counter()
        engine.save_answer(attempt.attempt_id, item.item_id, [item.options[n % 2].key])
        print(f"{time.time():.6f} {time.perf_counter() - start:.6f}", flush=True)
        time.sleep(pause)
    station.close()


def build(root: Path, candidates: int, items: int) -> str:
    from examkiosk.app.demo_venue import build_demo_venue

    venue = build_demo_venue(root, faces_dir=None, candidates=candidates, items=items)
    station = venue.station
    rows = station.store.query("SELECT candidate_id FROM candidates ORDER BY seat")
    item_ids = [r[0] for r in station.store.query("SELECT item_id FROM items")]
    for (cid,) in rows[:-1]:  # the last one is the seat's live candidate
        attempt = f"ATT-{cid}"
        with station.store.transaction() as conn:
            conn.execute(
                "INSERT INTO attempts (attempt_id, candidate_id, state, seed, duration_ms, "
                "elapsed_ms, started_at) VALUES (?, ?, 'in_progress', 1, 7200000, 0, "
                "'2026-11-22T09:00:00+08:00')",
                (attempt, cid),
            )
            station.record(conn, "attempt.started", {"attempt_id": attempt, "candidate_id": cid})
            for item in item_ids:
                conn.execute(
                    "INSERT INTO answers (attempt_id, item_id, answer_json, saved_at) "
                    "VALUES (?, ?, '[\"A\"]', '2026-11-22T09:30:00+08:00')",
                    (attempt, item),
                )
                station.record(
                    conn, "answer.saved", {"attempt_id": attempt, "item_id": item, "answer": ["A"]}
                )
    station.store.checkpoint()
    station.close()
    venue.central.close()
    return venue.passphrase


def run_seat(data_dir: Path, passphrase: str, saves: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--seat", str(data_dir), "--saves", str(saves)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(passphrase + "\n")
    process.stdin.close()
    assert process.stdout.readline().strip() == "ready"
    return process


def samples(process: subprocess.Popen[str]) -> list[tuple[float, float]]:
    assert process.stdout is not None
    out = [tuple(map(float, line.split())) for line in process.stdout if line.strip()]
    process.wait()
    return out  # type: ignore[return-value]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--seat", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seat is not None:
        seat(args.seat, sys.stdin.readline().strip(), args.saves, 0.01)
        return 0

    from examkiosk.core.backup import create_backup
    from examkiosk.core.provision import open_station

    with tempfile.TemporaryDirectory(prefix="ek-bench-backup-") as tmp:
        root = Path(tmp) / "venue"
        start = time.perf_counter()
        passphrase = build(root, args.candidates, args.items)
        print(f"store built: {args.candidates} candidates x {args.items} answers in "
              f"{time.perf_counter() - start:.1f} s, "
              f"{(root / 'station.db').stat().st_size / 2**20:.1f} MiB")  # fmt: skip

        quiet = [lat for _, lat in samples(run_seat(root, passphrase, args.saves))]

        station = open_station(root, passphrase)
        seat_process = run_seat(root, passphrase, args.saves)
        time.sleep(0.3)
        began = time.time()
        result = create_backup(station, root, Path(tmp))
        ended = time.time()
        station.close()
        during_all = samples(seat_process)
        during = [lat for at, lat in during_all if began <= at - lat and at <= ended + lat]
        if len(during) < 5:
            print("too few saves overlapped the backup; raise --saves")
            return 1

    figures = {
        "backup_seconds": round(ended - began, 3),
        "backup_mib": round(result.size_bytes / 2**20, 1),
        "events_in_backup": result.last_seq,
        "quiet_p50_ms": round(1000 * statistics.median(quiet), 2),
        "quiet_p95_ms": round(1000 * pct(quiet, 95), 2),
        "during_p50_ms": round(1000 * statistics.median(during), 2),
        "during_p95_ms": round(1000 * pct(during, 95), 2),
        "saves_during_backup": len(during),
    }
    ratio = figures["during_p50_ms"] / figures["quiet_p50_ms"]
    print(json.dumps(figures, indent=2))
    print(f"save latency during the backup: {ratio:.2f}x the quiet run (goal <= {GOAL}x): "
          + ("met" if ratio <= GOAL else "MISSED"))  # fmt: skip
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
