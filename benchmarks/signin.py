"""Staff sign-in and opening a station by a staff password, against their floors.

    .venv/bin/python benchmarks/signin.py [--runs N]

Figures, all measured in this run:
- floor: one bare scrypt verification (`sync.credentials.check_secret`), the cost a sign-in
  cannot go below;
- sign-in: `Accounts.sign_in` (verifier, lock-out state, audit event, one commit; the key
  slot already current);
- wrong password: the same with a failure counted and audited;
- open by passphrase: `open_station` with the recovery passphrase (scrypt + SQLCipher open);
- open by staff password: `open_station_as_staff` (staff slot + open + sign-in).
Goal: sign-in <= 2x the floor (exit status 1 if missed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examkiosk.app.demo_venue import build_demo_venue, demo_accounts  # noqa: E402
from examkiosk.core.accounts import Accounts, SignInRefused  # noqa: E402
from examkiosk.core.provision import open_station, open_station_as_staff  # noqa: E402
from sync.credentials import check_secret, make_verifier  # noqa: E402

GOAL = 2.0


def timed(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        venue = build_demo_venue(Path(tmp) / "v", faces_dir=None, candidates=5, items=5)
        password = demo_accounts(venue.data_dir)["demo-inv1"]
        accounts = Accounts(venue.station)
        accounts.sign_in("demo-inv1", password)  # makes the key slot
        verifier = make_verifier(password)

        def wrong() -> None:
            try:
                accounts.sign_in("demo-inv2", "Wrong-Guess#1")
            except SignInRefused:
                pass
            accounts.unlock(admin, "demo-inv2")

        admin = accounts.sign_in("demo-admin", demo_accounts(venue.data_dir)["demo-admin"])
        figures = {
            "floor (one scrypt check)": timed(runs, lambda: check_secret(password, verifier)),
            "sign-in": timed(runs, lambda: accounts.sign_in("demo-inv1", password)),
            "wrong password (+ unlock)": timed(runs, wrong),
        }
        venue.station.close()
        figures["open by passphrase"] = timed(
            max(3, runs // 3), lambda: open_station(venue.data_dir, venue.passphrase).close()
        )
        figures["open by staff password"] = timed(
            max(3, runs // 3),
            lambda: open_station_as_staff(venue.data_dir, "demo-inv1", password)[0].close(),
        )
    floor = figures["floor (one scrypt check)"][0]
    print(f"{'what':<28} {'median ms':>10} {'p95 ms':>8} {'x floor':>8}")
    for name, (median, p95) in figures.items():
        print(f"{name:<28} {median:>10.1f} {p95:>8.1f} {median / floor:>8.2f}")
    ratio = figures["sign-in"][0] / floor
    print(f"sign-in / floor = {ratio:.2f} (goal <= {GOAL})")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
