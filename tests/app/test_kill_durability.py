"""SIGKILL a running `exam simulate` at random moments; nothing it reported saved is lost.

After every kill: every `saved ITEM ANSWER` line the process printed is in the store with
that answer, `PRAGMA integrity_check` is ok, the remaining time never went up and went down
by no more than the time the process ran (the demo venue's policy pauses the clock during
outages, and each resume records the outage as paused, not counted), and the outbox chain
is whole.

200 kills by default (4 venues in parallel, so the test stays well under a few minutes on 2
cores). The documented longer run: `EXAMKIOSK_KILL_RUNS=1000 pytest tests/app/test_kill_durability.py`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts
from examkiosk.store import keys as store_keys
from examkiosk.store import outbox
from examkiosk.store.db import Store
from examkiosk.store.layout import DataDir
from sync.events import verify_chain

REPO = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("EXAMKIOSK_KILL_RUNS", "200"))
WORKERS = 4
ITEMS = 100
SLACK_S = 0.05  # rounding of persisted milliseconds and the kill's own latency


@pytest.fixture(scope="module")
def venue_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("kill") / "template"
    venue = build_demo_venue(root, faces_dir=None, candidates=20, items=ITEMS)
    tickets = [str(c["ticket"]) for c in venue.roster]
    venue.station.close()
    return root, json.dumps(tickets)


@dataclass
class Worker:
    data_dir: Path
    key: bytes
    tickets: list[str]
    rng: random.Random
    kills: int = 0
    saved_lines: int = 0
    failures: list[str] = field(default_factory=list)
    ticket_index: int = 0


def _state(worker: Worker, ticket: str) -> dict[str, Any]:
    store = Store.open(DataDir(worker.data_dir).store, worker.key)
    try:
        integrity = store.integrity_check()
        row = store.query(
            "SELECT a.attempt_id, a.duration_ms - a.elapsed_ms FROM attempts a "
            "JOIN candidates c USING (candidate_id) WHERE c.ticket = ?",
            (ticket,),
        )
        attempt_id, remaining_ms = (row[0][0], int(row[0][1])) if row else (None, None)
        answers = {
            r[0]: ",".join(json.loads(r[1])) or "-"
            for r in store.query(
                "SELECT item_id, answer_json FROM answers WHERE attempt_id = ?", (attempt_id,)
            )
        }
        resumed = [
            json.loads(r[0])
            for r in store.query("SELECT payload_json FROM events WHERE type = 'attempt.resumed'")
        ]
        return {
            "integrity": integrity,
            "attempt_id": attempt_id,
            "remaining_ms": remaining_ms,
            "answers": answers,
            "resumed": resumed,
        }
    finally:
        store.close()


def _one_run(worker: Worker) -> None:
    rng = worker.rng
    ticket = worker.tickets[worker.ticket_index % len(worker.tickets)]
    before = _state(worker, ticket)
    if len(before["answers"]) >= ITEMS:
        worker.ticket_index += 1
        ticket = worker.tickets[worker.ticket_index % len(worker.tickets)]
        before = _state(worker, ticket)
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "examkiosk.app.cli_exam",
            "simulate",
            "--data-dir",
            str(worker.data_dir),
            "--candidate",
            ticket,
            "--delay-ms",
            str(rng.choice([0, 0, 1, 3])),
            "--seed",
            str(rng.randrange(10**6)),
        ],
        cwd=REPO,
        # Simulation runs only on a demo venue, by its signed-in venue administrator.
        env={
            **os.environ,
            "EXAMKIOSK_STAFF": "demo-admin",
            "EXAMKIOSK_STAFF_PASSWORD": demo_accounts(worker.data_dir)["demo-admin"],
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    printed: list[str] = []
    if rng.random() < 0.2:
        # Anywhere in start-up, unlocking, check-in, login and the first answers.
        time.sleep(rng.uniform(0.0, 0.5))
    else:
        wanted = rng.randint(1, 12)
        while len(printed) < wanted:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(line)
        time.sleep(rng.uniform(0.0, 0.008))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    lifetime = time.monotonic() - started
    printed += proc.stdout.readlines()  # lines already written before the kill
    proc.stdout.close()
    worker.kills += 1

    after = _state(worker, ticket)
    where = f"{worker.data_dir.name} run {worker.kills} ticket {ticket}"
    if after["integrity"] != "ok":
        worker.failures.append(f"{where}: integrity_check {after['integrity']}")
    expected: dict[str, str] = {}
    for line in printed:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "saved":
            expected[parts[1]] = parts[2]
    worker.saved_lines += len(expected)
    for item_id, answer in expected.items():
        if after["answers"].get(item_id) != answer:
            worker.failures.append(
                f"{where}: printed saved {item_id} {answer}, store has "
                f"{after['answers'].get(item_id)!r}"
            )
    if before["remaining_ms"] is not None and after["remaining_ms"] is not None:
        spent = (before["remaining_ms"] - after["remaining_ms"]) / 1000
        if spent < 0 or spent > lifetime + SLACK_S:
            worker.failures.append(
                f"{where}: remaining went from {before['remaining_ms']} to "
                f"{after['remaining_ms']} ms in a run of {lifetime:.3f} s"
            )
    for resumed in after["resumed"]:
        if resumed["counted_ms"] != 0 or resumed["paused_ms"] != resumed["outage_ms"]:
            worker.failures.append(f"{where}: outage counted against the pause policy {resumed}")


def _verify_chain(worker: Worker) -> list[str]:
    store = Store.open(DataDir(worker.data_dir).store, worker.key)
    try:
        with store.reading() as conn:
            events = list(outbox.iter_events(conn, store.get_meta("station_id") or ""))
    finally:
        store.close()
    return [str(p) for p in verify_chain(events)]


def test_no_saved_answer_is_lost_when_killed(
    venue_template: tuple[Path, str], tmp_path: Path
) -> None:
    template, tickets_json = venue_template
    tickets = json.loads(tickets_json)
    passphrase = DataDir(template).demo_passphrase.read_text().strip()
    key = store_keys.key_from_passphrase(DataDir(template).keyslots, passphrase)
    workers = []
    for w in range(WORKERS):
        target = tmp_path / f"venue{w}"
        shutil.copytree(template, target)
        order = tickets[w::WORKERS] + tickets
        workers.append(Worker(target, key, order, random.Random(1000 + w)))

    lock = threading.Lock()
    remaining = [RUNS]

    def drive(worker: Worker) -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            _one_run(worker)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(drive, workers))

    failures = [f for w in workers for f in w.failures]
    failures += [f"{w.data_dir.name} chain: {p}" for w in workers for p in _verify_chain(w)]
    assert sum(w.kills for w in workers) == RUNS
    assert sum(w.saved_lines for w in workers) > RUNS, "the kills hardly ever hit a saving run"
    assert not failures, "\n".join(failures[:20])

    # What `exam show --json` reports agrees with the store after all the kills.
    worker = workers[0]
    ticket = worker.tickets[worker.ticket_index % len(worker.tickets)]
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "examkiosk.app.cli_exam",
            "show",
            "--data-dir",
            str(worker.data_dir),
            "--candidate",
            ticket,
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(shown.stdout)
    state = _state(worker, ticket)
    assert data["state"] == "in_progress"
    assert data["answers"] == state["answers"]
    assert data["remaining_seconds"] == pytest.approx(state["remaining_ms"] / 1000)
