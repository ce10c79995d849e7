"""Durable answer save vs a bare SQLite WAL+FULL commit, and opening a 600-item paper.

    .venv/bin/python benchmarks/answers.py [--saves N]

Figures, all measured in this run on the same file system:
- bare: stdlib sqlite3, WAL, synchronous=FULL, one upsert per transaction (the floor);
- sqlcipher: the same on an encrypted SQLCipher connection like the station's store;
- engine: `ExamEngine.save_answer` (validation, section rules, time folded in, answer
  upsert and hash-chained outbox event, one commit) on a demo venue with a 600-item paper.
Goal: engine <= 2x bare. Exit status 1 if the goal is missed.
Also: time to open a 600-item paper (load, parse, candidate's order) and the seat state.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examkiosk.app.cli_exam import _check_in_simulated as check_in_simulated  # noqa: E402
from examkiosk.app.demo_venue import build_demo_venue  # noqa: E402
from examkiosk.core.authz import Person  # noqa: E402
from examkiosk.core.exam import ExamEngine  # noqa: E402
from examkiosk.store import keys as store_keys  # noqa: E402
from examkiosk.store.db import Store  # noqa: E402

GOAL = 2.0
ANSWER_SQL = (
    "INSERT INTO answers (attempt_id, item_id, answer_json, saved_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(attempt_id, item_id) DO UPDATE SET answer_json = excluded.answer_json, "
    "saved_at = excluded.saved_at"
)
SCHEMA = (
    "CREATE TABLE answers (attempt_id TEXT NOT NULL, item_id TEXT NOT NULL, "
    "answer_json TEXT NOT NULL, saved_at TEXT NOT NULL, PRIMARY KEY (attempt_id, item_id))"
)


def timed(n: int, fn: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def bare_commits(conn: object, n: int) -> list[float]:
    c = conn  # sqlite3 or sqlcipher3 connection in autocommit mode
    c.execute(SCHEMA)  # type: ignore[attr-defined]

    def one(i: int) -> None:
        c.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
        c.execute(ANSWER_SQL, ("a", f"I{i % 600}", '["C"]', "2026-11-22T09:00:00"))  # type: ignore[attr-defined]
        c.execute("COMMIT")  # type: ignore[attr-defined]

    return timed(n, one)


def summary(name: str, samples: list[float]) -> float:
    mean = statistics.fmean(samples) * 1000
    p95 = sorted(samples)[int(len(samples) * 0.95)] * 1000
    print(f"  {name:<34} mean {mean:7.3f} ms   p95 {p95:7.3f} ms   ({len(samples)} commits)")
    return mean


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-answers-", dir=ROOT) as tmp:
        work = Path(tmp)
        print(f"files in {work} (same file system as the repository)")
        plain = sqlite3.connect(work / "bare.db", isolation_level=None)
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("PRAGMA synchronous=FULL")
        bare = summary("bare sqlite3 WAL+FULL upsert", bare_commits(plain, args.saves))
        plain.close()

        cipher = Store.open(work / "cipher.db", store_keys.new_store_key(), create=True)
        with cipher.reading() as conn:
            conn.execute("DROP TABLE answers")
            encrypted = summary("bare SQLCipher WAL+FULL upsert", bare_commits(conn, args.saves))
        cipher.close()

        venue = build_demo_venue(work / "venue", faces_dir=None, candidates=2, items=600)
        station = venue.station
        engine = ExamEngine(station)
        entry = venue.roster[0]
        admin = Person("demo-admin", "演示管理员", "venue_admin")
        check_in_simulated(station, str(entry["ticket"]), admin)
        attempt = engine.login(str(entry["ticket"]), str(entry["id_number"]))
        items = engine.seat_state(attempt.attempt_id).paper.items()

        def save(i: int) -> None:
            item = items[i % len(items)]
            engine.save_answer(attempt.attempt_id, item.item_id, [item.options[i % 2].key])

        durable = summary("ExamEngine.save_answer", timed(args.saves, save))

        opens = []
        for _ in range(5):
            start = time.perf_counter()
            fresh = ExamEngine(station)
            state = fresh.seat_state(attempt.attempt_id)
            opens.append(time.perf_counter() - start)
        print(
            f"  open a {len(state.paper)}-item paper + seat state: median "
            f"{statistics.median(opens) * 1000:.1f} ms (5 runs)"
        )
        station.close()

    ratio = durable / bare
    print(
        f"answer save / bare commit = {ratio:.2f}x (goal <= {GOAL:.1f}x); "
        f"SQLCipher alone = {encrypted / bare:.2f}x"
    )
    ok = ratio <= GOAL
    print("GOAL MET" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
