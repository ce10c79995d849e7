"""Hostile-network benchmark: a real station's sync while strangers stream junk at the centre.

The centre runs as its own process (`examkiosk-central serve` on 127.0.0.1), so its memory is
its own. In one run:
  1. quiet: station QUIET syncs EVENTS events; the time is the baseline;
  2. hostile: CONNECTIONS unauthenticated connections (a separate process, asyncio) stream
     junk at the station API (bundles, event batches, made-up stations, with and without
     made-up signature headers, reconnecting whenever the centre hangs up), and station
     LOUD syncs the same number of events meanwhile.
Prints both times and their ratio (goal <= 2x), the centre's peak memory (goal < 300 MB) and
how much more its home grew in the hostile phase than in the quiet one (goal < 1 MB).
Bounded: loopback only, CONNECTIONS connections, at most --max-seconds of junk.

usage: python benchmarks/hostile.py [--events 5000] [--connections 200] [--max-seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from sync.central.home import CentralHome
from sync.central.server import free_port
from sync.client import SyncClient
from sync.crypto import KeyPair
from sync.events import GENESIS_HASH, Event, compute_hash

PASSPHRASE = "hostile benchmark"


def events_of(station_id: str, count: int) -> list[Event]:
    prev, out = GENESIS_HASH, []
    for seq in range(1, count + 1):
        fields = {"station_id": station_id, "seq": seq, "uuid": str(uuid.uuid4()),
                  "type": "answer.saved", "wall_time": "2025-06-01T09:30:00+08:00",
                  "mono_time": seq * 0.5,
                  "payload": {"candidate_id": f"C{seq % 300:05d}", "sitting_id": "S1",
                              "item": seq % 120, "answer": "ABCD"[seq % 4]},
                  "prev_hash": prev}  # fmt: skip
        fields["hash"] = prev = compute_hash(fields)
        out.append(Event.from_dict(fields))
    return out


def du(path: Path) -> int:
    """Bytes under `path`, after folding SQLite's write-ahead log into the database (its
    size swings with checkpoints, not with what was stored)."""
    with sqlite3.connect(path / "central.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _one_stranger(port: int, index: int, deadline: float, sent: Any) -> None:
    targets = ["/v1/bundles", "/v1/stations/LOUD/events", f"/v1/stations/FAKE-{index}/events",
               "/v1/stations/LOUD/snapshots"]  # fmt: skip
    block = os.urandom(64 * 1024)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        fake = (f"X-EK-Station: FAKE-{index}\r\nX-EK-Time: {int(time.time())}\r\n"
                f"X-EK-Body-SHA256: {'0' * 64}\r\nX-EK-Signature: {'0' * 128}\r\n")  # fmt: skip
        head = (f"POST {targets[n % len(targets)]} HTTP/1.1\r\nHost: centre\r\n"
                f"Content-Length: {1 << 32}\r\n{fake if n % 2 else ''}\r\n")  # fmt: skip
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode())
            while time.monotonic() < deadline:
                writer.write(block)
                await writer.drain()
                sent.value += len(block)
            writer.close()
        except OSError:
            await asyncio.sleep(0.01)


def strangers(port: int, connections: int, seconds: float, sent: Any) -> None:
    """The hostile process: `connections` junk streams for at most `seconds`."""

    async def run() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_one_stranger(port, i, deadline, sent) for i in range(connections)))

    asyncio.run(run())


def sync_station(url: str, home: CentralHome, station_id: str, events: list[Event]) -> float:
    keys = KeyPair.generate()
    home.register_station(station_id, "V1", keys.public())
    client = SyncClient(url, station_id, keys, lambda a, n: events[a : a + n],
                        last_seq=lambda: len(events), central_keys=home.public_keys(),
                        allow_plain_http=True, batch_events=250, backoff_base=0.1)  # fmt: skip
    started = time.perf_counter()
    result = client.sync_once()
    took = time.perf_counter() - started
    client.close()
    if not (result.ok and result.complete and result.accepted == len(events)):
        raise SystemExit(f"{station_id}: sync did not complete: {result}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    if not 1 <= args.connections <= 1000 or not 1 <= args.max_seconds <= 600:
        raise SystemExit("--connections 1..1000 and --max-seconds 1..600 (kept bounded)")

    tmp = Path(tempfile.mkdtemp(prefix="examkiosk-hostile-"))
    centre_dir = tmp / "central"
    home = CentralHome(centre_dir)
    home.init(PASSPHRASE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EXAMKIOSK_CENTRAL_PASSPHRASE": PASSPHRASE,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    centre = subprocess.Popen(
        [sys.executable, "-m", "sync.central.cli", "--home", str(centre_dir), "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or centre.poll() is not None:
                raise SystemExit("the centre did not start")
            time.sleep(0.1)
        events = args.events

        size0 = du(centre_dir)
        quiet = sync_station(url, home, "QUIET", events_of("QUIET", events))
        quiet_growth = du(centre_dir) - size0

        sent = multiprocessing.Value("q", 0, lock=False)
        hostile_proc = multiprocessing.Process(
            target=strangers, args=(port, args.connections, args.max_seconds, sent)
        )
        hostile_proc.start()
        time.sleep(2.0)  # let the flood build up before the station starts
        size1 = du(centre_dir)
        loud = sync_station(url, home, "LOUD", events_of("LOUD", events))
        loud_growth = du(centre_dir) - size1
        peak = peak_rss_mb(centre.pid)
        hostile_proc.terminate()
        hostile_proc.join(10)
        junk = int(sent.value)
        incoming = (
            list((centre_dir / "incoming").glob("*")) if (centre_dir / "incoming").exists() else []
        )
        refused_rows = home.store.read("SELECT count(*) FROM refused")[0][0]
    finally:
        centre.terminate()
        centre.wait(15)
        home.close()
        shutil.rmtree(tmp, ignore_errors=True)

    ratio = loud / quiet
    extra = loud_growth - quiet_growth
    print(f"events per station: {events}; hostile connections: {args.connections}")
    print(f"quiet sync:   {quiet:6.2f} s")
    print(f"hostile sync: {loud:6.2f} s  ({ratio:.2f}x quiet; goal <= 2x)")
    print(f"centre peak memory (VmHWM): {peak:.0f} MB (goal < 300 MB)")
    print(f"centre home growth beyond the real events: {extra / 1024:.0f} KiB (goal < 1024 KiB); "
          f"files left in incoming/: {len(incoming)}; refused rows stored: {refused_rows}")  # fmt: skip
    if junk:
        print(
            f"junk written by the strangers (mostly still in their own socket buffers): "
            f"{junk / 2**20:.0f} MiB"
        )
    ok = ratio <= 2 and peak < 300 and extra < 1024 * 1024 and not incoming and not refused_rows
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
