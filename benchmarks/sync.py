"""Sync benchmark: a venue of CANDIDATES x ANSWERS events with check-in snapshots.

Prints, in one run:
  - bundle export time next to a plain `tar` of the same bytes (goal: <= 2x tar);
  - central import rate in events/s on SQLite and PostgreSQL (goal: >= 20,000/s), next to a
    bare executemany into an unindexed table (the floor, same run);
  - HTTP sync time of the whole venue over loopback (goal: <= 60 s).

usage: python benchmarks/sync.py [--candidates 500] [--answers 300] [--stations 10] [--no-postgres]
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.bundle import Snapshot, write_bundle
from sync.central.home import CentralHome
from sync.central.server import BackgroundServer, free_port
from sync.client import SyncClient
from sync.crypto import KeyPair
from sync.events import GENESIS_HASH, Event, canonical_json, compute_hash


def venue(stations: int, candidates: int, answers: int) -> dict[str, list[Event]]:
    per_station = candidates // stations
    out: dict[str, list[Event]] = {}
    for s in range(stations):
        sid = f"SEAT-{s + 1:02d}"
        prev, events, seq = GENESIS_HASH, [], 0
        for c in range(per_station):
            cand = f"C{s * per_station + c:05d}"
            for item in range(answers):
                seq += 1
                kind = "exam.submitted" if item == answers - 1 else "answer.saved"
                fields = {"station_id": sid, "seq": seq, "uuid": str(uuid.uuid4()), "type": kind,
                          "wall_time": "2025-06-01T09:30:00+08:00", "mono_time": seq * 0.5,
                          "payload": {"candidate_id": cand, "sitting_id": "S1", "item": item,
                                      "answer": "ABCD"[item % 4], "elapsed_s": item * 7},
                          "prev_hash": prev}  # fmt: skip
                fields["hash"] = prev = compute_hash(fields)
                events.append(Event.from_dict(fields))
        out[sid] = events
    return out


def pg_cluster(tmp: Path) -> tuple[str, list[str], Path] | None:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        return None
    bindir = Path(bins[-1]).parent
    run_as: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="ekbench-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data / "d"), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data / "d"), "-l",
                    str(data / "log"), "-w", "-o", f"-h 127.0.0.1 -p {port} -k {data}", "start"],
                   check=True, capture_output=True)  # fmt: skip
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE bench")
    stop = [*run_as, str(bindir / "pg_ctl"), "-D", str(data / "d"), "-m", "fast", "stop"]
    return f"postgresql://postgres@127.0.0.1:{port}/bench", stop, data


def import_rate(home: CentralHome, events: dict[str, list[Event]], batch: int) -> float:
    total = sum(len(v) for v in events.values())
    started = time.perf_counter()
    for sid, evs in events.items():
        for i in range(0, len(evs), batch):
            home.ingest(sid, evs[i : i + batch], "bench")
    return total / (time.perf_counter() - started)


def raw_floor(events: dict[str, list[Event]], path: Path) -> float:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE e (s TEXT, q INT, h TEXT, p TEXT, j TEXT)")
    total = sum(len(v) for v in events.values())
    started = time.perf_counter()
    for sid, evs in events.items():
        for i in range(0, len(evs), 1000):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO e VALUES (?, ?, ?, ?, ?)",
                             [(sid, e.seq, e.hash, e.prev_hash, canonical_json(dict(e.payload)))
                              for e in evs[i : i + 1000]])  # fmt: skip
            conn.execute("COMMIT")
    conn.close()
    return total / (time.perf_counter() - started)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--answers", type=int, default=300)
    ap.add_argument("--stations", type=int, default=10)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ekbench-"))
    try:
        t = time.perf_counter()
        events = venue(args.stations, args.candidates, args.answers)
        total = sum(len(v) for v in events.values())
        print(f"venue: {args.candidates} candidates x {args.answers} answers = {total} events "
              f"on {args.stations} stations (built in {time.perf_counter() - t:.1f} s)")  # fmt: skip
        keys = {sid: KeyPair.generate() for sid in events}
        photos = {sid: [Snapshot(f"checkin-{i}.jpg", "image/jpeg", os.urandom(30_000), None)
                        for i in range(args.candidates // args.stations)] for sid in events}  # fmt: skip

        home = CentralHome(tmp / "central")
        home.init("benchmark")
        central_keys = home.unlock("benchmark")
        for sid in events:
            home.register_station(sid, "V1", keys[sid].public())

        # 1. bundle export vs tar of the same bytes
        out = tmp / "usb"
        out.mkdir()
        t = time.perf_counter()
        for sid, evs in events.items():
            write_bundle(out / f"{sid}.ekb", evs, photos[sid], station_id=sid, venue_id="V1",
                         sitting_id="S1", station=keys[sid], central=home.public_keys())  # fmt: skip
        export_s = time.perf_counter() - t
        plain = tmp / "plain"
        for sid, evs in events.items():
            d = plain / sid
            d.mkdir(parents=True)
            (d / "events.json").write_bytes(b"\n".join(canonical_json(e.to_dict()) for e in evs))
            for p in photos[sid]:
                (d / p.name).write_bytes(p.data)
        t = time.perf_counter()
        subprocess.run(["tar", "cf", str(tmp / "plain.tar"), "-C", str(plain), "."], check=True)
        with open(tmp / "plain.tar", "rb") as fh:
            os.fsync(fh.fileno())
        tar_s = time.perf_counter() - t
        print(f"bundle export: {export_s:.2f} s   tar of the same bytes: {tar_s:.2f} s   "
              f"ratio {export_s / tar_s:.2f}x (goal <= 2x)")  # fmt: skip

        # 2. import rates
        floor = raw_floor(events, tmp / "floor.db")
        rate = import_rate(home, events, 1000)
        print(f"central import, SQLite: {rate:,.0f} events/s (goal >= 20,000; bare executemany "
              f"floor {floor:,.0f}/s)")  # fmt: skip
        # Same keys (the bundles are encrypted to them), an empty database.
        fresh = CentralHome(tmp / "central", f"sqlite:///{tmp / 'bundles.db'}")
        fresh_keys = central_keys
        for sid in events:
            fresh.register_station(sid, "V1", keys[sid].public())
        t = time.perf_counter()
        for sid in events:
            fresh.import_bundle(out / f"{sid}.ekb", fresh_keys)
        print(f"central bundle import (decrypt + verify + apply), SQLite: "
              f"{total / (time.perf_counter() - t):,.0f} events/s")  # fmt: skip
        fresh.close()
        if not args.no_postgres:
            try:
                cluster = pg_cluster(tmp)
            except (subprocess.SubprocessError, OSError, KeyError) as exc:
                cluster = None
                print(f"central import, PostgreSQL: not measured ({exc})")
            if cluster:
                url, stop, data = cluster
                try:
                    pg = CentralHome(tmp / "central-pg", url)
                    pg.init("benchmark")
                    for sid in events:
                        pg.register_station(sid, "V1", keys[sid].public())
                    print(f"central import, PostgreSQL: {import_rate(pg, events, 1000):,.0f} "
                          "events/s (goal >= 20,000)")  # fmt: skip
                    pg.close()
                finally:
                    subprocess.run(stop, capture_output=True)
                    shutil.rmtree(data, ignore_errors=True)

        # 3. HTTP sync over loopback into an empty centre
        http_home = CentralHome(tmp / "central-http")
        central_public = http_home.init("benchmark")
        for sid in events:
            http_home.register_station(sid, "V1", keys[sid].public())
        with BackgroundServer(http_home, http_home.unlock("benchmark")) as server:
            t = time.perf_counter()
            for sid, evs in events.items():
                client = SyncClient(server.url, sid, keys[sid],
                                    lambda a, n, evs=evs: evs[a : a + n], batch_events=1000,
                                    central_keys=central_public, allow_plain_http=True)  # fmt: skip
                result = client.sync_once()
                assert result.complete, result
            http_s = time.perf_counter() - t
        print(f"HTTP sync of the venue over loopback: {http_s:.1f} s "
              f"({total / http_s:,.0f} events/s; goal <= 60 s)")  # fmt: skip
        http_home.close()
        home.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
