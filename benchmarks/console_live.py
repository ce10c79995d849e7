"""The console's live updates: server-sent events against polling, in the same run.

One `examkiosk-central serve` process (SQLite) with STATIONS stations; CLIENTS signed-in
consoles watch the live counts for SECONDS while a station pushes a check-in every 5 s.
Phase 1 (the baseline): every console polls /console/api/live every 2 s, as before.
Phase 2: every console holds one /console/api/events stream.
Printed per phase: the service process's CPU time, requests answered, and how long after
each push the consoles saw the new count (median and p95 over every console and push).

usage: python benchmarks/console_live.py [--clients 50] [--seconds 30] [--stations 200]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.central.home import CentralHome
from sync.central.server import free_port
from sync.central.staff import StaffAccounts
from tests.sync.central.console_data import PASSWORD, face, register

PASSPHRASE = "benchmark passphrase"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sign_in(url: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "/console/login", timeout=30).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    answer = browser.post(url + "/console/login", timeout=60, data={
        "csrf": found.group(1), "username": username, "password": PASSWORD})  # fmt: skip
    assert answer.url.endswith("/console/"), answer.status_code
    return browser


class Watch:
    """When each console first saw each pushed count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pushed: dict[int, float] = {}  # admitted_total -> when it was pushed
        self.delays: list[float] = []
        self.requests = 0

    def saw(self, seen: set[int], admitted: int) -> None:
        now = time.monotonic()
        with self.lock:
            for total, at in self.pushed.items():
                if total <= admitted and total not in seen:
                    seen.add(total)
                    self.delays.append(now - at)


def poller(url: str, browser: requests.Session, watch: Watch, stop: threading.Event) -> None:
    seen: set[int] = set()
    while not stop.is_set():
        started = time.monotonic()
        doc = browser.get(url + "/console/api/live", timeout=30).json()
        with watch.lock:
            watch.requests += 1
        watch.saw(seen, int(doc["admitted_total"]))
        stop.wait(max(0.0, 2.0 - (time.monotonic() - started)))


def streamer(url: str, browser: requests.Session, watch: Watch, stop: threading.Event) -> None:
    seen: set[int] = set()
    with watch.lock:
        watch.requests += 1
    with browser.get(url + "/console/api/events", stream=True, timeout=(10, 60)) as answer:
        event = ""
        for line in answer.iter_lines(decode_unicode=True):
            if stop.is_set():
                return
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "live":
                watch.saw(seen, int(json.loads(line[6:])["admitted_total"]))


def phase(
    name: str, target: Any, url: str, consoles: list[requests.Session], station: Any,
    pid: int, seconds: float, admitted: list[int],
) -> None:  # fmt: skip
    watch = Watch()
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(url, b, watch, stop), daemon=True)
               for b in consoles]  # fmt: skip
    for t in threads:
        t.start()
    time.sleep(3)  # every console has its first answer
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    rng = np.random.default_rng(len(admitted))
    while time.monotonic() - t0 < seconds:
        pushed_from = len(station.events)
        station.checkin(f"X{len(admitted):05d}", face(rng))
        admitted.append(admitted[-1] + 1)
        with watch.lock:
            watch.pushed[admitted[-1]] = time.monotonic()
        station.push(url, after=pushed_from)
        time.sleep(5)
    time.sleep(4)  # the last push reaches everyone
    cpu = cpu_seconds(pid) - cpu0
    wall = time.monotonic() - t0
    stop.set()
    delays = sorted(watch.delays)
    expected = len(watch.pushed) * len(consoles)
    p95 = statistics.quantiles(delays, n=20)[-1] if len(delays) >= 2 else delays[0]
    print(f"   {name:<24} CPU {cpu:6.2f} s in {wall:4.0f} s ({cpu / wall:5.1%} of a core), "
          f"{watch.requests:5d} requests; update seen after median "
          f"{statistics.median(delays):4.2f} s, p95 {p95:4.2f} s "
          f"({len(delays)}/{expected} seen)")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--stations", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="console-live-"))
    home = CentralHome(tmp / "central")
    home.init(PASSPHRASE)
    station = register(home, "ST-0000", "V-000")
    for i in range(1, args.stations):
        register(home, f"ST-{i:04d}", f"V-{i // 10:03d}")
    accounts = StaffAccounts(home.store)
    for i in range(args.clients):
        accounts.add(f"viewer{i:03d}", "viewer", "viewer", PASSWORD)
    home.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EXAMKIOSK_CENTRAL_PASSPHRASE": PASSPHRASE}
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.central.cli", "--home", str(tmp / "central"), "serve",
         "--port", str(port)], env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                requests.get(url + "/v1/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        consoles = [sign_in(url, f"viewer{i:03d}") for i in range(args.clients)]
        print(f"Console live updates: {args.clients} consoles, {args.stations} stations, "
              f"a check-in pushed every 5 s for {args.seconds:.0f} s, one serve process:")  # fmt: skip
        admitted = [0]
        phase("polling every 2 s", poller, url, consoles, station, server.pid, args.seconds,
              admitted)  # fmt: skip
        # A fresh session each for the streams: the pollers' threads may still be asleep.
        consoles = [sign_in(url, f"viewer{i:03d}") for i in range(args.clients)]
        phase("server-sent events", streamer, url, consoles, station, server.pid,
              args.seconds, admitted)  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
